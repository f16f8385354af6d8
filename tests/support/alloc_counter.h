// Counts heap allocations of the whole test binary that links tests/support/alloc_counter.cc, so a
// test can prove a hot path allocates nothing after warm-up. Replaces every global operator new /
// delete (plain, nothrow, array) with malloc/free-based ones: replacing only some would pair an
// allocation from one allocator with a release from the other, which AddressSanitizer reports as
// alloc-dealloc-mismatch (shared libraries such as simdjson call the nothrow form).
#pragma once

#include <cstdint>

namespace portcullis::testing {

// Number of operator new calls so far in this process.
uint64_t allocation_count();
// The same, made by the calling thread only (a claim about one thread's path while background
// threads allocate).
uint64_t thread_allocation_count();

}  // namespace portcullis::testing
