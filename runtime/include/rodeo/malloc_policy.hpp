#pragma once
// The process's allocator policy for bursts (issue #10, bug 4). glibc raises its mmap threshold
// to the size of every large block freed, so after one burst of 1 MiB message buffers the next
// bursts are served from the per-thread arenas and stay resident when freed: RSS crept 17 → 585
// MB over six bursts with nothing live. A fixed threshold keeps blocks of that size in mmap,
// returned to the system on free. Measured against malloc_trim when idle and jemalloc in
// bench/README.md ("Memory after bursts").
#include <cstddef>

namespace rodeo {

/// What a node applies when it starts (256 KiB, the ws send queue's high watermark), unless
/// RODEO_MMAP_THRESHOLD says otherwise (bytes; 0 keeps glibc's adaptive threshold).
inline constexpr std::size_t default_mmap_threshold = 256 * 1024;

/// Fixes glibc's mmap threshold at `bytes` (blocks this large come from mmap and go back to the
/// system when freed); 0 does nothing. Process-wide. Returns false if glibc refused.
bool set_mmap_threshold(std::size_t bytes);

/// Applies RODEO_MMAP_THRESHOLD, else default_mmap_threshold; the first call only.
void apply_malloc_policy();

}  // namespace rodeo
