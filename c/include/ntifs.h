/* ndis-ts: the kernel base, for drivers that include it directly. */
#include <ndis/nt.h>
