/* ndis-ts: structures declared after this are packed to 8 byte(s), until <poppack.h>. */
#pragma pack(push, 8)
