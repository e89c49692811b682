/*
 * fuzz.h - what the fuzz targets share.
 *
 * Each fuzz/<target>.c is a libFuzzer entry point over pure code of the
 * library: no file system but a memfd, no network (docs/design/fuzzing.md).
 * 'make fuzz' links each one with libFuzzer and clang's sanitizers; 'make
 * check' also compiles every target with the usual compiler, each with
 * -DLLVMFuzzerTestOneInput=fuzz_<target>, into tests/unit/test_fuzz, which
 * replays the committed corpus and regression inputs through them. So a
 * target must run the same way in both: no libFuzzer calls of its own, and
 * no state kept from one input to the next but the memfd.
 *
 * A target checks invariants beyond "does not crash": a failed one calls
 * fuzz_fail(), which aborts, and libFuzzer keeps the input as a crash.
 */
#ifndef PODVOLFS_FUZZ_H
#define PODVOLFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "FILE:LINE: invariant failed: ..." and aborts. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* Aborts naming the invariant when @cond is false. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);		\
} while (0)

/* malloc, strdup and a NUL-terminated copy of @size bytes that abort on failure. */
void *fuzz_malloc(size_t size);
char *fuzz_strdup(const char *s);
char *fuzz_text(const uint8_t *data, size_t size);

/*
 * Cuts @text in place at each @sep into at most @max fields (the last one
 * keeps the rest, separators included). Returns the number of fields: 1
 * for a text without @sep, even an empty one.
 */
size_t fuzz_split(char *text, char sep, char **fields, size_t max);

/*
 * A path whose file holds exactly @data: one memfd per process, rewritten
 * on each call ("/proc/self/fd/N"). Aborts when it cannot be written.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
