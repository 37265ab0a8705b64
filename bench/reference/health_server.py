"""Reference server for the benchmark: Python grpcio (asyncio API, its fastest) answering
grpc.health.v1.Health/Check with SERVING for every request.
    python3 health_server.py HOST:PORT     prints "listening PORT", serves until SIGTERM."""
import asyncio
import signal
import sys

import grpc

SERVING = b"\x08\x01"


async def check(request, context):
    return SERVING


async def main(address):
    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(check, request_deserializer=None, response_serializer=None),
    })
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port(address)
    await server.start()
    print(f"listening {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
