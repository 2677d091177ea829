/* The trace levels of event tracing, as WPP's LEVEL takes them (their documented values). */
#ifndef NDIS_TS_EVNTRACE_H
#define NDIS_TS_EVNTRACE_H
#ifndef TRACE_LEVEL_NONE
#define TRACE_LEVEL_NONE 0        /* tracing off */
#define TRACE_LEVEL_CRITICAL 1    /* abnormal exit or termination */
#define TRACE_LEVEL_FATAL 1       /* the older name of CRITICAL */
#define TRACE_LEVEL_ERROR 2       /* severe errors */
#define TRACE_LEVEL_WARNING 3     /* warnings, such as allocation failures */
#define TRACE_LEVEL_INFORMATION 4 /* non-error events such as entry and exit */
#define TRACE_LEVEL_VERBOSE 5     /* detailed traces of intermediate steps */
#define TRACE_LEVEL_RESERVED6 6
#define TRACE_LEVEL_RESERVED7 7
#define TRACE_LEVEL_RESERVED8 8
#define TRACE_LEVEL_RESERVED9 9
#endif
#endif
