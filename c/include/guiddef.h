/* ndis-ts: GUID and DEFINE_GUID are in the kernel base. */
#include <ndis/nt.h>
