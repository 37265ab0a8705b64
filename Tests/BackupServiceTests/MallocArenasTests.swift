import PluginSupport
import Testing

/// The arena limit `main` sets, and the limits it leaves to the environment.
@Suite struct MallocArenasTests {
    @Test func aLimitTheEnvironmentChoseStands() {
        #expect(!MallocArenas.limit(environment: ["MALLOC_ARENA_MAX": "8"]))
        #expect(!MallocArenas.limit(environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=4"]))
    }

    @Test func otherwiseTwoArenasAreSet() {
        #expect(MallocArenas.count == 2)
        #expect(MallocArenas.limit(environment: [:]))
        #expect(MallocArenas.limit(environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"]))
    }
}
