/*
 * ndis-ts: the C string routines a kernel driver may use (the kernel exports them to drivers), for
 * a freestanding wasm32 build. The memory ones are c/runtime/ndis_rt.c's; the rest are inline.
 */
#ifndef NDIS_TS_STRING_H
#define NDIS_TS_STRING_H

#include <stddef.h>

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline void *memchr(const void *s, int c, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (; n; n--, p++)
    if (*p == (unsigned char)c) return (void *)p;
  return 0;
}
static inline size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static inline size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}
static inline int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}
static inline int strncmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (!*a) return 0;
  }
  return 0;
}
static inline int __ndis_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static inline int _stricmp(const char *a, const char *b) {
  while (*a && __ndis_lower((unsigned char)*a) == __ndis_lower((unsigned char)*b)) a++, b++;
  return __ndis_lower((unsigned char)*a) - __ndis_lower((unsigned char)*b);
}
static inline int _strnicmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    int x = __ndis_lower((unsigned char)*a), y = __ndis_lower((unsigned char)*b);
    if (x != y) return x - y;
    if (!x) return 0;
  }
  return 0;
}
static inline char *strcpy(char *d, const char *s) {
  char *r = d;
  while ((*d++ = *s++)) {
  }
  return r;
}
static inline char *strncpy(char *d, const char *s, size_t n) {
  size_t i = 0;
  for (; i < n && s[i]; i++) d[i] = s[i];
  for (; i < n; i++) d[i] = 0;
  return d;
}
static inline char *strcat(char *d, const char *s) {
  strcpy(d + strlen(d), s);
  return d;
}
static inline char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char *)s;
    if (!*s) return 0;
  }
}
static inline char *strrchr(const char *s, int c) {
  const char *r = 0;
  for (;; s++) {
    if (*s == (char)c) r = s;
    if (!*s) return (char *)r;
  }
}
static inline char *strstr(const char *h, const char *n) {
  size_t k = strlen(n);
  if (!k) return (char *)h;
  for (; *h; h++)
    if (!strncmp(h, n, k)) return (char *)h;
  return 0;
}
static inline size_t wcslen(const wchar_t *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static inline size_t wcsnlen(const wchar_t *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}
static inline int wcscmp(const wchar_t *a, const wchar_t *b) {
  while (*a && *a == *b) a++, b++;
  return *a < *b ? -1 : *a > *b;
}
static inline int wcsncmp(const wchar_t *a, const wchar_t *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b) return *a < *b ? -1 : 1;
    if (!*a) return 0;
  }
  return 0;
}
static inline int _wcsicmp(const wchar_t *a, const wchar_t *b) {
  while (*a && __ndis_lower(*a) == __ndis_lower(*b)) a++, b++;
  return __ndis_lower(*a) - __ndis_lower(*b);
}
static inline int _wcsnicmp(const wchar_t *a, const wchar_t *b, size_t n) {
  for (; n; n--, a++, b++) {
    int x = __ndis_lower(*a), y = __ndis_lower(*b);
    if (x != y) return x - y;
    if (!x) return 0;
  }
  return 0;
}
static inline wchar_t *wcscpy(wchar_t *d, const wchar_t *s) {
  wchar_t *r = d;
  while ((*d++ = *s++)) {
  }
  return r;
}
static inline wchar_t *wcsncpy(wchar_t *d, const wchar_t *s, size_t n) {
  size_t i = 0;
  for (; i < n && s[i]; i++) d[i] = s[i];
  for (; i < n; i++) d[i] = 0;
  return d;
}
static inline wchar_t *wcscat(wchar_t *d, const wchar_t *s) {
  wcscpy(d + wcslen(d), s);
  return d;
}
static inline wchar_t *wcschr(const wchar_t *s, wchar_t c) {
  for (;; s++) {
    if (*s == c) return (wchar_t *)s;
    if (!*s) return 0;
  }
}

#endif /* NDIS_TS_STRING_H */
