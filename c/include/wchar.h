/* ndis-ts: the wide-character routines are in <string.h>. */
#include <string.h>
