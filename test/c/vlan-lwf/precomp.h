/*
 * vlanlwf: the precompiled-header idiom of a WDK driver project. The NDIS version comes from the
 * build (-DNDIS630=1), as a project's settings would give it.
 */
#pragma warning(disable : 4201) /* nameless struct/union */
#pragma warning(disable : 4214) /* bit field types other than int */

#include <ntddk.h>
#include <ndis.h>

#include "vlanlwf.h"
