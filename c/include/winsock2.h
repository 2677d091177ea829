/*
 * ndis-ts: the socket types and byte-order helpers a driver may take from <winsock2.h> (there are
 * no sockets here: Winsock Kernel is not supported).
 */
#ifndef NDIS_TS_WINSOCK2_H
#define NDIS_TS_WINSOCK2_H
#define _WINSOCK2API_
#define _WINSOCKAPI_
#include <ndis/nt.h>

typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;
typedef struct timeval {
  long tv_sec;
  long tv_usec;
} TIMEVAL, *PTIMEVAL;
typedef struct in_addr {
  union {
    struct {
      UCHAR s_b1, s_b2, s_b3, s_b4;
    } S_un_b;
    struct {
      USHORT s_w1, s_w2;
    } S_un_w;
    ULONG S_addr;
  } S_un;
} IN_ADDR, *PIN_ADDR;
#define s_addr S_un.S_addr
typedef struct in6_addr {
  union {
    UCHAR Byte[16];
    USHORT Word[8];
  } u;
} IN6_ADDR, *PIN6_ADDR;
typedef USHORT ADDRESS_FAMILY;
typedef struct sockaddr {
  ADDRESS_FAMILY sa_family;
  CHAR sa_data[14];
} SOCKADDR, *PSOCKADDR;
typedef struct sockaddr_in {
  ADDRESS_FAMILY sin_family;
  USHORT sin_port;
  IN_ADDR sin_addr;
  CHAR sin_zero[8];
} SOCKADDR_IN, *PSOCKADDR_IN;
#define AF_UNSPEC 0
#define AF_INET 2
#define AF_INET6 23
#define htons(x) RtlUshortByteSwap((USHORT)(x))
#define ntohs(x) RtlUshortByteSwap((USHORT)(x))
#define htonl(x) RtlUlongByteSwap((ULONG)(x))
#define ntohl(x) RtlUlongByteSwap((ULONG)(x))

#endif /* NDIS_TS_WINSOCK2_H */
