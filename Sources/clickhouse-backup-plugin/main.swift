import HTTPTransport
import PluginSupport
import RPCRuntime

// Before any thread exists, so that no thread has taken an arena of its own yet.
MallocArenas.limit()
// Block SIGTERM/SIGINT on the main thread before any other thread exists: every thread
// inherits the mask, so only the shutdown waiter's sigwait ever receives them. The main
// thread then waits on a semaphore with the signals still blocked. (Neither an async main
// nor dispatchMain() will do: libdispatch parks the main thread in sigsuspend with an empty
// mask, which lets SIGTERM's default action kill the process mid-call.)
ProcessSignals.block()
// Before any thread exists (setenv is not thread-safe) and after the arguments are read: on
// Linux the Swift runtime finds argv next to the process's first environment block, which
// setenv may move (read later, they came back empty).
_ = CommandLine.arguments
CurlLibrary.skipUnusedGnuTLSInitialisation()
runBlocking()
