// glibc's allocator tunables (mallopt): the arena limit set in `main`.
#include <malloc.h>
