/* ndis-ts: structures declared after this are packed to 4 byte(s), until <poppack.h>. */
#pragma pack(push, 4)
