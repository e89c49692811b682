/*
 * log.c - the daemon's log: stderr in the foreground, syslog in the background.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "podvolfs/log.h"

static bool use_syslog;
static enum log_level max_level = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

void log_to_syslog(void)
{
	openlog("podvolfs", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog)
		syslog(syslog_prio[level], "%s", line);
	else
		fprintf(stderr, "podvolfs: %s: %s\n", level_names[level], line);
}
