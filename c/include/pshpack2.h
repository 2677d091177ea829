/* ndis-ts: structures declared after this are packed to 2 byte(s), until <poppack.h>. */
#pragma pack(push, 2)
