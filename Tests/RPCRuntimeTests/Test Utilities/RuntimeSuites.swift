import Testing

/// Parent of the runtime suites: serialized, so the leak check's memory reading is never
/// disturbed by another server test running beside it.
@Suite(.serialized) enum RuntimeSuites {}
