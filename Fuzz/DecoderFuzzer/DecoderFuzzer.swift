import BackupDomain
import BackupProtocol
#if canImport(Glibc)
import Glibc
import CryptoDigest
#endif

/// Feeds one input to a decoder, chosen by the input's first byte; the rest is the payload.
/// Every decoder must return or throw, never crash, hang or leak (ASan checks leaks).
func fuzzOne(_ input: [UInt8]) {
    guard let selector = input.first else { return }
    let payload = Array(input.dropFirst())
    let fixedCHI = Array(#"{"metadata":{"name":"f","namespace":"n"},"spec":{"configuration":{"clusters":[{"name":"c","layout":{"shardsCount":2,"replicasCount":2}}]}}}"#.utf8)
    let fixedCHB = Array(#"{"metadata":{"name":"b"},"spec":{"backup":{"dbTable":{"whiteList":["a.*"]},"s3":{"destinationPath":"s3://bkt/p"}}}}"#.utf8)
    switch selector % 8 {
    case 0:
        if let value = try? JSONParser.parse(payload) { _ = PolicySet.decode(JSONNode(value, document: "policy_file", log: IssueLog())) }
    case 1:
        _ = try? Planner.plan(.backup, Planner.Request(chiDefinition: payload, backupDefinition: fixedCHB, parameters: ["dry_run": "true"], digest: .openSSL), now: 0)
            .metadata()
    case 2:
        _ = try? Planner.plan(.restore, Planner.Request(chiDefinition: fixedCHI, backupDefinition: payload, parameters: ["dry_run": "true"], digest: .openSSL), now: 0)
            .metadata()
    case 3:
        if let request = try? BackupRequest(serializedBytes: payload) {
            _ = try? Planner.plan(.backup, Planner.Request(chiDefinition: request.chiDefinition, backupDefinition: request.backupDefinition,
                                                           parameters: request.parameters, digest: .openSSL), now: 0)
            precondition((try? BackupRequest(serializedBytes: request.serializedBytes())) == request, "round trip changed the request")
        }
    case 4:
        _ = try? RestoreRequest(serializedBytes: payload)
    case 5:
        if let request = try? ReflectionRequest(serializedBytes: payload) {
            _ = ReflectionResponse(originalRequest: request, answer: .none).serializedBytes()
        }
    case 6:
        _ = try? DescriptorSet(fileDescriptorSet: payload)
    default:
        _ = try? TablePattern(parsing: String(decoding: payload, as: UTF8.self))
    }
}

#if FUZZING
/// libFuzzer's entry for a program that keeps its own `main` (SwiftPM links executables
/// through a renamed main, so libFuzzer's own cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The input callback libFuzzer calls (its own `main`, when the linker picks it, finds it here).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_cdecl("DecoderFuzzer_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzerTestOneInput)
}
#else
/// Without libFuzzer: replays the files named on the command line (the committed corpus
/// and past crashes) through the same decoders.
@main
enum DecoderReplay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let read = fread(&buffer, 1, buffer.count, file)
                if read <= 0 { break }
                bytes += buffer[0..<read]
            }
            fclose(file)
            fuzzOne(bytes)
            count += 1
        }
        print("replayed \(count) inputs: \(count) passed, 0 failed")
    }
}
#endif
