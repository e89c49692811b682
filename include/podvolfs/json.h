/*
 * json.h - writing JSON text with stdio: strings escaped as RFC 8259 says.
 */
#ifndef PODVOLFS_JSON_H
#define PODVOLFS_JSON_H

#include <stdio.h>
#include <time.h>

/* Writes @s as a JSON string, quoted and escaped; NULL as null. */
void json_str(FILE *f, const char *s);

/* Writes "@key": followed by the JSON string @s (NULL: null). */
void json_kv(FILE *f, const char *key, const char *s);

/* Writes the time @t as a JSON string in RFC 3339, UTC: "2026-11-27T21:46:00Z". */
void json_time(FILE *f, time_t t);

#endif
