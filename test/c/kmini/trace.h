/*
 * kmini's WPP tracing, as a WDK driver's trace.h declares it: the control GUID and its flags, the
 * enabled/logger macros of its trace function, and the configuration block the WPP preprocessor
 * (here `ndis build`) reads.
 */
#ifndef KMINI_TRACE_H
#define KMINI_TRACE_H

/* Tracing GUID: 6c1d5f0e-3a7b-4e52-9d41-0f2b8c7e91a3 (made up for this test driver). */
#define WPP_CONTROL_GUIDS                                                     \
  WPP_DEFINE_CONTROL_GUID(KminiTraceGuid, (6c1d5f0e, 3a7b, 4e52, 9d41, 0f2b8c7e91a3), \
                          WPP_DEFINE_BIT(TRACE_DRIVER)                        \
                          WPP_DEFINE_BIT(TRACE_ADAPTER)                       \
                          WPP_DEFINE_BIT(TRACE_OID)                           \
                          WPP_DEFINE_BIT(TRACE_TIMER))

#define WPP_LEVEL_FLAGS_LOGGER(lvl, flags) WPP_LEVEL_LOGGER(flags)
#define WPP_LEVEL_FLAGS_ENABLED(lvl, flags) (WPP_LEVEL_ENABLED(flags) && WPP_CONTROL(WPP_BIT_##flags).Level >= lvl)

//
// The trace functions (read by the WPP preprocessor):
//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// FUNC TraceOid{LEVEL=TRACE_LEVEL_VERBOSE, FLAGS=TRACE_OID}(MSG, ...);
// FUNC TraceReturn{LEVEL=TRACE_LEVEL_INFORMATION, FLAGS=TRACE_DRIVER}(EXP);
// USESUFFIX(TraceReturn, "%!FUNC! returns %!STATUS!", EXP);
// end_wpp
//

#endif
