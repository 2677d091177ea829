/* ndis-ts: the Windows base types a driver may take from here are in the kernel base. */
#include <ndis/nt.h>
#ifndef MAX_PATH
#define MAX_PATH 260
#endif
