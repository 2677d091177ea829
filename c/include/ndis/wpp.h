/*
 * WPP software tracing as ndis-ts gives it (docs/c-drivers.md, WPP). Included by the .tmh files
 * `ndis build` generates, after the driver's own trace header (which defines WPP_CONTROL_GUIDS
 * and, often, its WPP_<conditions>_ENABLED macros). Every flag of every control GUID is enabled
 * at every level: the runtime's trace (`ndis trace`) gets every message, with its level and flags.
 */
#ifndef NDIS_TS_WPP_H
#define NDIS_TS_WPP_H

#include <ndis/nt.h>
#include <evntrace.h>

/* WPP_BIT_<flag>: the flags of WPP_CONTROL_GUIDS, numbered in the order they are defined. */
#ifdef WPP_CONTROL_GUIDS
#define WPP_DEFINE_CONTROL_GUID(Name, Guid, Bits) Bits
#define WPP_DEFINE_BIT(Name) WPP_BIT_##Name,
enum { WPP_CONTROL_GUIDS NDIS_TS_WPP_BIT_COUNT };
#undef WPP_DEFINE_BIT
#undef WPP_DEFINE_CONTROL_GUID
#endif

/* The control block a session would set: here every level and every flag is on. */
typedef struct _NDIS_TS_WPP_CONTROL {
  UCHAR Level;
  ULONG Flags[1];
  PVOID Logger;
  PVOID AutoLogContext;
} NDIS_TS_WPP_CONTROL;
static const NDIS_TS_WPP_CONTROL NdisTsWppControl __attribute__((unused)) = {0xFF, {0xFFFFFFFFu}, NULL, NULL};
#define WPP_CONTROL(Bit) (NdisTsWppControl)
#define WPP_MASK(Bit) (1u << ((Bit) & 31))
#define WPP_FLAG_NO(Bit) ((Bit) & 31)
/* A flag that is not one of WPP_CONTROL_GUIDS's is a build error, as with the WPP preprocessor. */
#define WPP_LEVEL_ENABLED(Flag) ((void)WPP_BIT_##Flag, 1)
#define WPP_LEVEL_LOGGER(Flag) (WPP_CONTROL(WPP_BIT_##Flag).Logger)
#define WPP_FLAG_ENABLED(Flag) WPP_LEVEL_ENABLED(Flag)
#define WPP_FLAG_LOGGER(Flag) WPP_LEVEL_LOGGER(Flag)
#define WPP_GLOBALLOGGER
#define WPP_CHECK_FOR_NULL_STRING

/* Starting and stopping a session is the host's business: these do nothing. */
#define WPP_INIT_TRACING(...) ((void)0)
#define WPP_CLEANUP(...) ((void)0)
#define WPP_RECORDER_CONFIGURE_PARAMS_INIT(...) ((void)0)
#define WppRecorderConfigure(...) ((void)0)

/* The import every trace function of the .tmh calls: the runtime formats and traces it. */
NDIS_TS_IMPORT(__ndis_wpp_message)
void __ndis_wpp_message(const char *Function, const char *Conditions, const char *File, int Line,
                        const char *CFunction, const char *Format, ...);

#endif
