// Reference server for the benchmark: gRPC C++ (Debian's libgrpc++, the same C core as the
// plugin) on its callback API, answering grpc.health.v1.Health/Check with SERVING. A generic
// service, so no generated code is needed; the reply bytes are the encoded HealthCheckResponse.
//   health_server HOST:PORT [CERT KEY]   prints "listening PORT", serves until SIGTERM/SIGINT;
//   with CERT and KEY (PEM files) it speaks TLS.
#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/async_generic_service.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {

const char kServing[] = {0x08, 0x01};

class CheckReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit CheckReactor(bool known) {
    if (!known) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method"));
      return;
    }
    StartRead(&request_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    grpc::Slice slice(kServing, sizeof kServing);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class HealthService : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor *CreateReactor(grpc::GenericCallbackServerContext *context) override {
    return new CheckReactor(context->method() == "/grpc.health.v1.Health/Check");
  }
};

std::string ReadFile(const char *path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: health_server HOST:PORT [CERT KEY]\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HealthService service;
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (argc == 4) {
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({ReadFile(argv[3]), ReadFile(argv[2])});
    credentials = grpc::SslServerCredentials(options);
  }
  builder.AddListeningPort(argv[1], credentials, &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 1;
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown();
  return 0;
}
