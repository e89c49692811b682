/*
 * log.h - the daemon's log.
 *
 * Messages go to stderr in the foreground and to syslog (facility daemon)
 * once the daemon has gone to the background. Thread-safe.
 */
#ifndef PODVOLFS_LOG_H
#define PODVOLFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sends later messages to syslog instead of stderr. */
void log_to_syslog(void);

/* Messages above @level are dropped (default: LOG_LVL_INFO). */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
