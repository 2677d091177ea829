/* ndis-ts: ends the packing of the last <pshpackN.h>. */
#pragma pack(pop)
