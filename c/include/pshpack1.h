/* ndis-ts: structures declared after this are packed to 1 byte(s), until <poppack.h>. */
#pragma pack(push, 1)
