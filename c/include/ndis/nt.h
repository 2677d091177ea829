/*
 * ndis-ts: the NT base of a kernel driver, for WebAssembly (wasm32).
 *
 * Written for ndis-ts from the documented meaning of the Windows kernel types and routines; it is
 * not the WDK's header. Pointers are 32 bits here (wasm32), as on x86. Every kernel call a driver
 * makes lands on ndis-ts through a WebAssembly import of module "ndis".
 */
#ifndef NDIS_TS_NT_H
#define NDIS_TS_NT_H
/* The include guards of the WDK's own headers, which drivers test (#ifndef _NTDDK_ …). */
#define _WDMDDK_
#define _NTDDK_
#define _NTIFS_
#define _WDM_INCLUDED_
#define _NTDDK_INCLUDED_

#if !defined(__wasm32__)
#error "ndis-ts headers target wasm32: build with `ndis build` (clang --target=wasm32)"
#endif

/* ---- the calling side of the bridge ---- */
#define NDIS_TS_IMPORT(name) __attribute__((import_module("ndis"), import_name(#name)))
#define NTAPI
#define NDISAPI
#define EXPORT
#define FORCEINLINE static inline __attribute__((always_inline))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_CACHEALIGN
#define __inline inline
#define __forceinline inline __attribute__((always_inline))
#define CALLBACK
#define IN
#define OUT
#define OPTIONAL
#define UNALIGNED
#define VOID void
#define CONST const

/* ---- SAL annotations: documentation only here ---- */
#define _In_
#define _In_opt_
#define _In_z_
#define _In_reads_(...)
#define _In_reads_opt_(...)
#define _In_reads_bytes_(...)
#define _In_reads_bytes_opt_(...)
#define _In_range_(...)
#define _Out_
#define _Out_opt_
#define _Out_writes_(...)
#define _Out_writes_opt_(...)
#define _Out_writes_bytes_(...)
#define _Out_writes_bytes_opt_(...)
#define _Out_writes_bytes_to_(...)
#define _Out_range_(...)
#define _Inout_
#define _Inout_opt_
#define _Inout_updates_(...)
#define _Inout_updates_bytes_(...)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_result_bytebuffer_(...)
#define _Deref_out_range_(...)
#define _Ret_maybenull_
#define _Ret_writes_bytes_maybenull_(...)
#define _Post_writable_byte_size_(...)
#define _Post_invalid_
#define _Post_satisfies_(...)
#define _Pre_satisfies_(...)
#define _Pre_notnull_
#define _Must_inspect_result_
#define _Check_return_
#define _Success_(...)
#define _When_(...)
#define _At_(...)
#define _Field_size_(...)
#define _Field_size_bytes_(...)
#define _Field_size_opt_(...)
#define _Field_range_(...)
#define _Struct_size_bytes_(...)
#define _Reserved_
#define _Frees_ptr_(...)
#define _Frees_ptr_opt_
#define _Null_terminated_
#define _Printf_format_string_
#define _Analysis_assume_(...)
#define _Analysis_assume_lock_acquired_(...)
#define _Analysis_assume_lock_released_(...)
#define _Use_decl_annotations_
#define __fallthrough
#define _Fallthrough_
#define _Inout_z_
#define _In_opt_z_
#define _Out_z_cap_(...)
#define _Printf_format_string_params_(...)
#define _Strict_type_match_
#define _Notnull_
#define _Maybenull_
#define _Ret_z_
#define _Ret_notnull_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_buffer_(...)
#define _Deref_pre_maybenull_
#define _Deref_post_maybenull_
#define _Pre_maybenull_
#define _Post_maybenull_
#define _Post_notnull_
#define _Post_null_
#define _Pre_null_
#define _Readable_bytes_(...)
#define _Writable_bytes_(...)
#define _Literal_
#define _Const_
#define _Points_to_data_
#define _Kernel_requires_resource_held_(...)
#define _Kernel_requires_resource_not_held_(...)
#define _Kernel_acquires_resource_(...)
#define _Kernel_releases_resource_(...)
#define _Kernel_clear_do_init_(...)
#define _Acquires_nonreentrant_lock_(...)
#define _Releases_nonreentrant_lock_(...)
#define _Has_lock_kind_(...)
#define _Create_lock_level_(...)
#define _Lock_level_order_(...)
#define _Requires_lock_held_(...)
#define _IRQL_requires_min_(...)
#define _When_(...)
#define _Function_class_(...)
#define _Dispatch_type_(...)
#define _IRQL_requires_(...)
#define _IRQL_requires_max_(...)
#define _IRQL_requires_min_(...)
#define _IRQL_requires_same_
#define _IRQL_raises_(...)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(...)
#define _IRQL_restores_global_(...)
#define _IRQL_always_function_max_(...)
#define _Kernel_float_used_
#define _Acquires_lock_(...)
#define _Releases_lock_(...)
#define _Acquires_exclusive_lock_(...)
#define _Acquires_shared_lock_(...)
#define _Releases_exclusive_lock_(...)
#define _Releases_shared_lock_(...)
#define _Requires_lock_held_(...)
#define _Requires_lock_not_held_(...)
#define _Requires_exclusive_lock_held_(...)
#define _Requires_shared_lock_held_(...)
#define _Guarded_by_(...)
#define _Interlocked_
#define _Interlocked_operand_
#define __drv_aliasesMem
#define __drv_freesMem(...)
#define __drv_allocatesMem(...)
#define __drv_when(...)
#define __drv_requiresIRQL(...)
#define __drv_maxIRQL(...)
#define __drv_minIRQL(...)
#define __drv_setsIRQL(...)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_savesIRQLGlobal(...)
#define __drv_restoresIRQLGlobal(...)
#define __drv_sameIRQL
#define __drv_dispatchType(...)
#define __drv_functionClass(...)
#define __drv_strictTypeMatch(...)
#define __drv_isObjectPointer
#define __in
#define __out
#define __inout
#define __in_opt
#define __out_opt
#define __in_bcount(...)
#define __out_bcount(...)
#define __deref_out

/* ---- more of the SAL set (documentation only here) ---- */
#define _Outptr_result_nullonfailure_
#define _Outptr_opt_result_nullonfailure_
#define _Outptr_result_z_
#define _Outptr_opt_result_z_
#define _Outptr_opt_result_maybenull_z_
#define _Outptr_result_maybenull_z_
#define _Outref_
#define _Outref_result_maybenull_
#define _Result_nullonfailure_
#define _Result_zeroonfailure_
#define _Ret_maybenull_z_
#define _Ret_opt_z_
#define _Deref_out_opt_
#define _Deref_out_z_
#define _Deref_pre_z_
#define _Deref_in_
#define _Deref_inout_
#define _Pre_z_
#define _Post_z_
#define _Pre_valid_
#define _Post_valid_
#define _Post_ptr_invalid_
#define _Benign_race_begin_
#define _Benign_race_end_
#define _No_competing_thread_
#define _No_competing_thread_begin_
#define _No_competing_thread_end_
#define _Analysis_noreturn_
#define _NullNull_terminated_
#define _Notliteral_
#define _Notref_
#define _Kernel_entry_
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_IoGetDmaAdapter_
#define _IRQL_is_cancel_
#define _IRQL_uses_cancel_
#define _Enum_is_bitflag_
#define _Curr_
#define _Scanf_format_string_
#define _In_z_opt_
#define _Inout_opt_z_
#define _Out_opt_z_
#define _Field_z_
#define _Pre_opt_valid_
#define _Post_opt_valid_
#define _Check_return_opt_
#define _Ret_
#define _Ret_valid_
#define _Ret_null_
#define _Out_z_
#define __in_z
#define __in_opt_z
#define __inout_opt
#define __out_z
#define __deref_out_opt
#define __deref_inout
#define __deref_out_ecount(...)
#define __checkReturn
#define __success(...)
#define __drv_arg(...)
#define __drv_valueIs(...)
#define __drv_neverHold(...)
#define __drv_mustHold(...)
#define __drv_innerMustHold(...)
#define __drv_acquiresResource(...)
#define __drv_releasesResource(...)
#define __drv_at(...)
#define __drv_out(...)
#define __drv_in(...)
#define __drv_inTry
#define __drv_preferredFunction(...)
#define __drv_reportError(...)
#define __drv_formatString(...)
#define __drv_deref(...)
#define __drv_minFunctionIRQL(...)
#define __drv_maxFunctionIRQL(...)
#define __drv_clearDoInit(...)
#define __drv_holdsCancelSpinLock(...)
#define __drv_releasesCancelSpinLock
#define __drv_acquiresCancelSpinLock
#define __drv_mustHoldCancelSpinLock
#define __drv_neverHoldCancelSpinLock
#define __drv_dispatchType_other
#define __drv_completionType(...)
#define __drv_useCancelIRQL
#define __drv_nonConstant
#define __drv_constant
#define __drv_Mode_impl(...)
#define __drv_floatUsed
#define __drv_floatSaved
#define __drv_floatRestored
#define __drv_interlocked
#define __drv_notPointer
#define __drv_isCancelIRQL
#define __bcount(...)
#define __ecount(...)
#define __in_ecount(...)
#define __out_ecount(...)
#define __inout_bcount(...)
#define __inout_ecount(...)
#define __in_bcount_opt(...)
#define __out_bcount_opt(...)
#define __reserved
#define __nullterminated
#define __field_bcount(...)
#define __field_ecount(...)
#define __typefix(...)
#define __analysis_assume(...)
#define __fallthrough_ok
#define _Outptr_result_bytebuffer_all_(...)
#define _Outptr_result_buffer_all_(...)
#define _Outptr_result_bytebuffer_maybenull_(...)
#define _Outptr_result_buffer_maybenull_(...)
#define _Outptr_opt_result_buffer_(...)
#define _Outptr_opt_result_bytebuffer_(...)
#define _Out_writes_to_(...)
#define _Out_writes_all_(...)
#define _Out_writes_z_(...)
#define _Out_writes_bytes_all_(...)
#define _Out_writes_bytes_to_opt_(...)
#define _Out_writes_to_opt_(...)
#define _Out_writes_opt_z_(...)
#define _Out_writes_bytes_all_opt_(...)
#define _Out_writes_all_opt_(...)
#define _Out_writes_to_ptr_(...)
#define _Out_writes_to_ptr_z_(...)
#define _Out_cap_(...)
#define _Out_bytecap_(...)
#define _Out_opt_bytecap_(...)
#define _Out_bytecap_post_bytecount_(...)
#define _Inout_updates_all_(...)
#define _Inout_updates_opt_(...)
#define _Inout_updates_bytes_opt_(...)
#define _Inout_updates_bytes_all_(...)
#define _Inout_updates_z_(...)
#define _Inout_updates_to_(...)
#define _Inout_updates_bytes_to_(...)
#define _Inout_updates_all_opt_(...)
#define _Inout_updates_bytes_all_opt_(...)
#define _Inout_cap_(...)
#define _Inout_bytecap_(...)
#define _In_reads_z_(...)
#define _In_reads_or_z_(...)
#define _In_reads_opt_z_(...)
#define _In_reads_to_ptr_(...)
#define _In_reads_to_ptr_opt_(...)
#define _In_count_(...)
#define _In_bytecount_(...)
#define _In_opt_count_(...)
#define _In_opt_bytecount_(...)
#define _Ret_range_(...)
#define _Ret_writes_(...)
#define _Ret_writes_bytes_(...)
#define _Ret_writes_maybenull_(...)
#define _Ret_writes_bytes_to_(...)
#define _Ret_writes_to_(...)
#define _Ret_writes_z_(...)
#define _Always_(...)
#define _On_failure_(...)
#define _Return_type_success_(...)
#define _Field_size_part_(...)
#define _Field_size_bytes_part_(...)
#define _Field_size_full_(...)
#define _Field_size_bytes_full_(...)
#define _Field_size_part_opt_(...)
#define _Field_size_bytes_opt_(...)
#define _Field_size_full_opt_(...)
#define _Pre_(...)
#define _Post_(...)
#define _Deref_(...)
#define _Deref_in_range_(...)
#define _Deref_ret_range_(...)
#define _Deref_pre_readonly_(...)
#define _Pre_readable_size_(...)
#define _Pre_writable_size_(...)
#define _Pre_readable_byte_size_(...)
#define _Pre_writable_byte_size_(...)
#define _Post_readable_size_(...)
#define _Post_writable_size_(...)
#define _Post_readable_byte_size_(...)
#define _Post_equal_to_(...)
#define _Pre_equal_to_(...)
#define _In_defensive_(...)
#define _Out_defensive_(...)
#define _Inout_defensive_(...)
#define _Write_guarded_by_(...)
#define _Analysis_mode_(...)
#define _Nullterm_length_(...)
#define _Unchanged_(...)
#define _Inexpressible_(...)
#define _Kernel_requires_irql_(...)
#define _Param_(...)
#define _Old_(...)
#define _At_buffer_(...)
#define _Group_(...)
#define _Satisfies_(...)
#define _Requires_no_locks_held_(...)
#define _Post_same_lock_(...)
#define _Internal_set_lock_count_(...)
#define _Function_ignore_lock_checking_(...)
#define _Lock_kind_mutex_(...)
#define _Lock_kind_event_(...)
#define _Lock_kind_semaphore_(...)
#define _Lock_kind_spin_lock_(...)
#define _Lock_kind_critical_section_(...)
#define _Pre_defensive_(...)
#define _Post_defensive_(...)
#define _Readable_elements_(...)
#define _Writable_elements_(...)
#define _Null_(...)
#define _Outptr_result_bytebuffer_to_(...)
#define _Outptr_result_buffer_to_(...)
#define _Analysis_suppress_lock_checking_(...) ((void)0)
#define _Analysis_assume_same_lock_(...) ((void)0)
#define _Analysis_assume_nullterminated_(...) ((void)0)
#define __analysis_assume_lock_acquired(...) ((void)0)
#define __analysis_assume_lock_released(...) ((void)0)

/* ---- base types (wasm32: int and long are 32 bits, pointers 32 bits) ---- */
typedef void *PVOID;
typedef void **PPVOID;
typedef char CHAR, CCHAR, *PCHAR, *PSTR;
typedef const char *PCSTR;
typedef unsigned char UCHAR, *PUCHAR, BYTE, *PBYTE;
typedef short SHORT, CSHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT, WORD;
/* clang's wasm32 target has a 32-bit wchar_t, so that L"..." literals work WCHAR is 32 bits here
   (a UNICODE_STRING's Length still counts bytes). */
typedef __WCHAR_TYPE__ WCHAR, *PWCHAR, *PWSTR;
typedef const __WCHAR_TYPE__ *PCWSTR;
typedef int INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef long LONG, *PLONG;
typedef unsigned long ULONG, *PULONG, DWORD, *PDWORD;
typedef long long LONGLONG, LONG64, *PLONG64;
typedef unsigned long long ULONGLONG, ULONG64, *PULONG64, DWORD64;
typedef signed char INT8;
typedef unsigned char UINT8;
typedef short INT16;
typedef unsigned short UINT16;
typedef int INT32;
typedef unsigned int UINT32;
typedef long long INT64;
typedef unsigned long long UINT64;
typedef long LONG_PTR, *PLONG_PTR, INT_PTR;
typedef unsigned long ULONG_PTR, *PULONG_PTR, UINT_PTR, SIZE_T, *PSIZE_T, KAFFINITY;
typedef long SSIZE_T;
typedef unsigned char BOOLEAN, *PBOOLEAN;
typedef int BOOL;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef CCHAR KPROCESSOR_MODE;
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
typedef ULONG LOGICAL;

typedef union _LARGE_INTEGER {
  struct {
    ULONG LowPart;
    LONG HighPart;
  };
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
  struct {
    ULONG LowPart;
    ULONG HighPart;
  };
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _GUID {
  ULONG Data1;
  USHORT Data2;
  USHORT Data3;
  UCHAR Data4[8];
} GUID, *PGUID;

#define TRUE 1
#define FALSE 0
#ifndef NULL
#define NULL ((void *)0)
#endif

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_TIMEOUT ((NTSTATUS)0x00000102L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)

/* ---- strings ---- */
typedef struct _UNICODE_STRING {
  USHORT Length;        /* bytes, without a terminating NUL */
  USHORT MaximumLength; /* bytes of Buffer */
  PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
  USHORT Length;
  USHORT MaximumLength;
  PCHAR Buffer;
} STRING, ANSI_STRING, *PSTRING, *PANSI_STRING;

/* ---- structure arithmetic ---- */
#define FIELD_OFFSET(type, field) ((LONG)__builtin_offsetof(type, field))
#define UFIELD_OFFSET(type, field) ((ULONG)__builtin_offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) \
  ((type *)((PCHAR)(address) - (ULONG_PTR)(&((type *)0)->field)))
#define ALIGN_UP_BY(length, alignment) \
  (((ULONG_PTR)(length) + (alignment) - 1) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#ifndef ANYSIZE_ARRAY
#define ANYSIZE_ARRAY 1
#endif
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define ARGUMENT_PRESENT(p) ((p) != NULL)
#define MEMORY_ALLOCATION_ALIGNMENT 16

#if DBG
#define ASSERT(e) ((e) ? (void)0 : __builtin_trap())
#else
#define ASSERT(e) ((void)0)
#endif
#define NT_ASSERT(e) ASSERT(e)
#define ASSERTMSG(m, e) ASSERT(e)

/* ---- memory (the kernel's C string routines come with it, as from the WDK's wdm.h) ---- */
#include <string.h>
#define RtlZeroMemory(d, n) ((void)__builtin_memset((d), 0, (n)))
#define RtlFillMemory(d, n, f) ((void)__builtin_memset((d), (f), (n)))
#define RtlCopyMemory(d, s, n) ((void)__builtin_memcpy((d), (s), (n)))
#define RtlMoveMemory(d, s, n) ((void)__builtin_memmove((d), (s), (n)))
#define RtlEqualMemory(a, b, n) (__builtin_memcmp((a), (b), (n)) == 0)
FORCEINLINE SIZE_T RtlCompareMemory(const void *a, const void *b, SIZE_T n) {
  const UCHAR *x = (const UCHAR *)a, *y = (const UCHAR *)b;
  SIZE_T i = 0;
  while (i < n && x[i] == y[i]) i++;
  return i;
}
#define RtlInitEmptyUnicodeString(s, b, n) \
  ((s)->Length = 0, (s)->MaximumLength = (USHORT)(n), (s)->Buffer = (b))
FORCEINLINE void RtlInitUnicodeString(PUNICODE_STRING s, PCWSTR text) {
  USHORT n = 0;
  if (text != NULL)
    while (text[n] != 0) n++;
  s->Length = (USHORT)(n * sizeof(WCHAR));
  s->MaximumLength = (USHORT)(text == NULL ? 0 : s->Length + sizeof(WCHAR));
  s->Buffer = (PWSTR)text;
}
#define RTL_CONSTANT_STRING(s) {sizeof(s) - sizeof((s)[0]), sizeof(s), (PWSTR)(s)}
#define DECLARE_CONST_UNICODE_STRING(name, text) \
  const UNICODE_STRING name = {sizeof(text) - sizeof(WCHAR), sizeof(text), (PWSTR)(text)}

/* ---- doubly linked lists ---- */
typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY *Flink;
  struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
  struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY, SLIST_ENTRY, *PSLIST_ENTRY;

/* As on x86: eight bytes, eight-aligned. */
typedef union _SLIST_HEADER {
  ULONGLONG Alignment;
  struct {
    SLIST_ENTRY Next;
    USHORT Depth;
    USHORT CpuId;
  };
} SLIST_HEADER, *PSLIST_HEADER;

FORCEINLINE void InitializeListHead(PLIST_ENTRY head) { head->Flink = head->Blink = head; }
FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *head) { return (BOOLEAN)(head->Flink == head); }
FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY entry) {
  PLIST_ENTRY next = entry->Flink, prev = entry->Blink;
  if (next->Blink != entry || prev->Flink != entry) __builtin_trap(); /* a corrupted list */
  prev->Flink = next;
  next->Blink = prev;
  return (BOOLEAN)(next == prev);
}
FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY head) {
  PLIST_ENTRY entry = head->Flink;
  RemoveEntryList(entry);
  return entry;
}
FORCEINLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY head) {
  PLIST_ENTRY entry = head->Blink;
  RemoveEntryList(entry);
  return entry;
}
FORCEINLINE void InsertTailList(PLIST_ENTRY head, PLIST_ENTRY entry) {
  PLIST_ENTRY prev = head->Blink;
  if (prev->Flink != head) __builtin_trap();
  entry->Flink = head;
  entry->Blink = prev;
  prev->Flink = entry;
  head->Blink = entry;
}
FORCEINLINE void InsertHeadList(PLIST_ENTRY head, PLIST_ENTRY entry) {
  PLIST_ENTRY next = head->Flink;
  if (next->Blink != head) __builtin_trap();
  entry->Flink = next;
  entry->Blink = head;
  next->Blink = entry;
  head->Flink = entry;
}
FORCEINLINE void AppendTailList(PLIST_ENTRY head, PLIST_ENTRY list) {
  PLIST_ENTRY end = head->Blink;
  head->Blink->Flink = list;
  head->Blink = list->Blink;
  list->Blink->Flink = head;
  list->Blink = end;
}
FORCEINLINE void PushEntryList(PSINGLE_LIST_ENTRY head, PSINGLE_LIST_ENTRY entry) {
  entry->Next = head->Next;
  head->Next = entry;
}
FORCEINLINE PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY head) {
  PSINGLE_LIST_ENTRY first = head->Next;
  if (first != NULL) head->Next = first->Next;
  return first;
}

/*
 * ---- interlocked operations ----
 * One processor runs driver code at a time in ndis-ts, so these are plain read-modify-writes;
 * they keep their documented return values.
 */
FORCEINLINE LONG InterlockedIncrement(LONG volatile *p) { return ++*p; }
FORCEINLINE LONG InterlockedDecrement(LONG volatile *p) { return --*p; }
FORCEINLINE LONG InterlockedExchange(LONG volatile *p, LONG v) {
  LONG old = *p;
  *p = v;
  return old;
}
FORCEINLINE LONG InterlockedExchangeAdd(LONG volatile *p, LONG v) {
  LONG old = *p;
  *p = old + v;
  return old;
}
#define InterlockedAdd(p, v) (InterlockedExchangeAdd((p), (v)) + (v))
FORCEINLINE LONG InterlockedCompareExchange(LONG volatile *p, LONG exchange, LONG comparand) {
  LONG old = *p;
  if (old == comparand) *p = exchange;
  return old;
}
FORCEINLINE LONG InterlockedOr(LONG volatile *p, LONG v) {
  LONG old = *p;
  *p = old | v;
  return old;
}
FORCEINLINE LONG InterlockedAnd(LONG volatile *p, LONG v) {
  LONG old = *p;
  *p = old & v;
  return old;
}
FORCEINLINE LONG64 InterlockedIncrement64(LONG64 volatile *p) { return ++*p; }
FORCEINLINE LONG64 InterlockedDecrement64(LONG64 volatile *p) { return --*p; }
FORCEINLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *p, LONG64 v) {
  LONG64 old = *p;
  *p = old + v;
  return old;
}
#define InterlockedAdd64(p, v) (InterlockedExchangeAdd64((p), (v)) + (v))
FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v) {
  PVOID old = *p;
  *p = v;
  return old;
}
FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID exchange, PVOID comparand) {
  PVOID old = *p;
  if (old == comparand) *p = exchange;
  return old;
}
#define KeMemoryBarrier() __sync_synchronize()
#define MemoryBarrier() __sync_synchronize()
#define ReadNoFence(p) (*(p))
#define WriteNoFence(p, v) (*(p) = (v))

/* ---- IRQL and kernel objects ---- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 31

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _KWAIT_REASON { Executive = 0 } KWAIT_REASON;
#define KernelMode 0
#define UserMode 1

/* A kernel event: its state is NDIS's, found by the event's address. */
typedef struct _KEVENT {
  LONG Header[4];
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  PVOID Process;
  PVOID MappedSystemVa;
  PVOID StartVa;
  ULONG ByteCount;
  ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
typedef enum _MEMORY_CACHING_TYPE { MmNonCached = 0, MmCached = 1, MmWriteCombined = 2 } MEMORY_CACHING_TYPE;
typedef enum _MM_PAGE_PRIORITY { LowPagePriority = 0, NormalPagePriority = 16, HighPagePriority = 32 } MM_PAGE_PRIORITY;
/*
 * An MDL NDIS hands the driver whose bytes live outside the module (a TypeScript driver's frame)
 * is not mapped until the driver asks: NDIS then copies the bytes in, and from then on copies
 * them in and back at every crossing. A driver that never looks at the data costs no copies.
 */
NDIS_TS_IMPORT(MmMapLockedPagesSpecifyCache)
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority);
#define MmGetSystemAddressForMdlSafe(Mdl, Priority)                                        \
  (((Mdl)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0       \
       ? (Mdl)->MappedSystemVa                                                             \
       : MmMapLockedPagesSpecifyCache((Mdl), KernelMode, MmCached, NULL, FALSE, (ULONG)(Priority)))
#define MmGetSystemAddressForMdl(Mdl) MmGetSystemAddressForMdlSafe((Mdl), 16)

typedef enum _POOL_TYPE { NonPagedPool = 0, PagedPool = 1, NonPagedPoolNx = 512 } POOL_TYPE;
typedef enum _EX_POOL_PRIORITY {
  LowPoolPriority = 0,
  NormalPoolPriority = 16,
  HighPoolPriority = 32
} EX_POOL_PRIORITY;
#define MdlMappingNoExecute 0x40000000

struct _DRIVER_OBJECT;
typedef NTSTATUS(DRIVER_INITIALIZE)(struct _DRIVER_OBJECT *DriverObject, PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
typedef void(DRIVER_UNLOAD)(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;

#define IRP_MJ_MAXIMUM_FUNCTION 0x1b
/* The fields a driver reads or sets; the rest is kept for the documented field order. */
typedef struct _DRIVER_OBJECT {
  CSHORT Type;
  CSHORT Size;
  PVOID DeviceObject;
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection;
  PVOID DriverExtension;
  UNICODE_STRING DriverName;
  PUNICODE_STRING HardwareDatabase;
  PVOID FastIoDispatch;
  PDRIVER_INITIALIZE DriverInit;
  PVOID DriverStartIo;
  PDRIVER_UNLOAD DriverUnload;
  PVOID MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* ---- the I/O manager's part of a control device (NdisRegisterDeviceEx) ---- */
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define STATUS_NO_SUCH_DEVICE ((NTSTATUS)0xC000000EL)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define STATUS_OBJECT_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#define STATUS_DELETE_PENDING ((NTSTATUS)0xC0000056L)
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120L)

#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CREATE_NAMED_PIPE 0x01
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_SHUTDOWN 0x10
#define IRP_MJ_CLEANUP 0x12
#define IRP_MJ_QUERY_INFORMATION 0x05
#define IRP_MJ_SET_INFORMATION 0x06
#define IRP_MJ_FLUSH_BUFFERS 0x09
#define IRP_MJ_LOCK_CONTROL 0x11
#define IRP_MJ_QUERY_SECURITY 0x14
#define IRP_MJ_SET_SECURITY 0x15
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_PNP 0x1b
/* The access rights a driver checks in IRP_MJ_CREATE (no security is modelled here). */
#define FILE_READ_DATA 0x0001
#define FILE_WRITE_DATA 0x0002
#define FILE_APPEND_DATA 0x0004
#define DELETE 0x00010000L
#define READ_CONTROL 0x00020000L
#define SYNCHRONIZE 0x00100000L
#define GENERIC_READ 0x80000000L
#define GENERIC_WRITE 0x40000000L
#define GENERIC_EXECUTE 0x20000000L
#define GENERIC_ALL 0x10000000L

#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define FILE_ANY_ACCESS 0
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002
#define FILE_DEVICE_NETWORK 0x00000012
#define FILE_DEVICE_UNKNOWN 0x00000022
#define FILE_DEVICE_PHYSICAL_NETCARD 0x00000017
#define FILE_DEVICE_TRANSPORT 0x00000021
#define CTL_CODE(DeviceType, Function, Method, Access) \
  (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | (ULONG)(Method))
#define METHOD_FROM_CTL_CODE(ctrlCode) ((ULONG)((ctrlCode) & 3))

#define DO_BUFFERED_IO 0x00000004
#define DO_EXCLUSIVE 0x00000008
#define DO_DIRECT_IO 0x00000010
#define DO_DEVICE_INITIALIZING 0x00000080
#define IO_NO_INCREMENT 0
#define SL_PENDING_RETURNED 0x01

typedef struct _IO_STATUS_BLOCK {
  union {
    NTSTATUS Status;
    PVOID Pointer;
  };
  ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

struct _IRP;
struct _FILE_OBJECT;
struct _IO_STACK_LOCATION;

/* The fields a driver reads or sets, in the documented order (the rest is left out). */
typedef struct _DEVICE_OBJECT {
  CSHORT Type;
  USHORT Size;
  LONG ReferenceCount;
  struct _DRIVER_OBJECT *DriverObject;
  struct _DEVICE_OBJECT *NextDevice;
  struct _DEVICE_OBJECT *AttachedDevice;
  struct _IRP *CurrentIrp;
  PVOID Timer;
  ULONG Flags;
  ULONG Characteristics;
  PVOID Vpb;
  PVOID DeviceExtension;
  ULONG DeviceType;
  CCHAR StackSize;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

typedef struct _FILE_OBJECT {
  CSHORT Type;
  CSHORT Size;
  PDEVICE_OBJECT DeviceObject;
  PVOID Vpb;
  PVOID FsContext;
  PVOID FsContext2;
  PVOID SectionObjectPointer;
  PVOID PrivateCacheMap;
  NTSTATUS FinalStatus;
  struct _FILE_OBJECT *RelatedFileObject;
  BOOLEAN LockOperation;
  BOOLEAN DeletePending;
  BOOLEAN ReadAccess;
  BOOLEAN WriteAccess;
  BOOLEAN DeleteAccess;
  BOOLEAN SharedRead;
  BOOLEAN SharedWrite;
  BOOLEAN SharedDelete;
  ULONG Flags;
  UNICODE_STRING FileName;
} FILE_OBJECT, *PFILE_OBJECT;

typedef struct _IO_STACK_LOCATION {
  UCHAR MajorFunction;
  UCHAR MinorFunction;
  UCHAR Flags;
  UCHAR Control;
  union {
    struct {
      ULONG Length;
      ULONG Key;
      ULONG Flags;
      LARGE_INTEGER ByteOffset;
    } Read;
    struct {
      ULONG Length;
      ULONG Key;
      ULONG Flags;
      LARGE_INTEGER ByteOffset;
    } Write;
    struct {
      ULONG OutputBufferLength;
      ULONG InputBufferLength;
      ULONG IoControlCode;
      PVOID Type3InputBuffer;
    } DeviceIoControl;
    struct {
      PVOID Argument1;
      PVOID Argument2;
      PVOID Argument3;
      PVOID Argument4;
    } Others;
  } Parameters;
  PDEVICE_OBJECT DeviceObject;
  PFILE_OBJECT FileObject;
  PVOID CompletionRoutine;
  PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

typedef struct _IRP {
  CSHORT Type;
  USHORT Size;
  PMDL MdlAddress;
  ULONG Flags;
  union {
    struct _IRP *MasterIrp;
    LONG IrpCount;
    PVOID SystemBuffer;
  } AssociatedIrp;
  LIST_ENTRY ThreadListEntry;
  IO_STATUS_BLOCK IoStatus;
  KPROCESSOR_MODE RequestorMode;
  BOOLEAN PendingReturned;
  CHAR StackCount;
  CHAR CurrentLocation;
  BOOLEAN Cancel;
  KIRQL CancelIrql;
  CCHAR ApcEnvironment;
  UCHAR AllocationFlags;
  PIO_STATUS_BLOCK UserIosb;
  PVOID UserEvent;
  union {
    struct {
      PVOID UserApcRoutine;
      PVOID UserApcContext;
    } AsynchronousParameters;
    LARGE_INTEGER AllocationSize;
  } Overlay;
  PVOID CancelRoutine;
  PVOID UserBuffer;
  union {
    struct {
      PVOID DriverContext[4];
      PVOID Thread;
      PCHAR AuxiliaryBuffer;
      struct {
        LIST_ENTRY ListEntry;
        union {
          struct _IO_STACK_LOCATION *CurrentStackLocation;
          ULONG PacketType;
        };
      };
      PFILE_OBJECT OriginalFileObject;
    } Overlay;
    PVOID CompletionKey;
  } Tail;
} IRP, *PIRP;

typedef NTSTATUS(DRIVER_DISPATCH)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
/* The role typedefs of dispatch routines that run paged or raised (paging does not exist here). */
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_RAISED;

/* What this request asks: the one stack location NDIS's devices have. */
static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp) {
  return Irp->Tail.Overlay.CurrentStackLocation;
}
NDIS_TS_IMPORT(IoMarkIrpPending) void IoMarkIrpPending(PIRP Irp);
NDIS_TS_IMPORT(IoCompleteRequest) void IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);

/* A device of the driver's own (the way ndisprot-style drivers make their control device in
   DriverEntry): requests go to DriverObject->MajorFunction; user mode opens it through a link.
   DeviceType, DeviceCharacteristics and Exclusive are kept, not modelled (docs/c-drivers.md). */
typedef ULONG DEVICE_TYPE;
NDIS_TS_IMPORT(IoCreateDevice)
NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                        DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject);
NDIS_TS_IMPORT(IoDeleteDevice) void IoDeleteDevice(PDEVICE_OBJECT DeviceObject);
NDIS_TS_IMPORT(IoCreateSymbolicLink)
NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName);
NDIS_TS_IMPORT(IoDeleteSymbolicLink) NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName);
#define IoCreateUnprotectedSymbolicLink IoCreateSymbolicLink
#define DO_DEVICE_INITIALIZING 0x00000080
#define DO_EXCLUSIVE 0x00000008

NDIS_TS_IMPORT(KeGetCurrentIrql) KIRQL KeGetCurrentIrql(void);
/* Raising and lowering the IRQL by hand: the verifier tracks it as a spin lock's does
   (IrqlKeRaiseLower for a raise that lowers or a lower that raises). */
NDIS_TS_IMPORT(KeRaiseIrql) KIRQL NdisTsKeRaiseIrql(KIRQL NewIrql);
NDIS_TS_IMPORT(KeLowerIrql) void KeLowerIrql(KIRQL NewIrql);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = NdisTsKeRaiseIrql(NewIrql))
#define KeRaiseIrqlToDpcLevel() NdisTsKeRaiseIrql(DISPATCH_LEVEL)
#define KfRaiseIrql(NewIrql) NdisTsKeRaiseIrql(NewIrql)
#define KfLowerIrql(NewIrql) KeLowerIrql(NewIrql)
/* The DPC watchdog's state: [MODEL] there is none here (nothing preempts a call; the module's step
   budget bounds a loop), so both limits read 0, "disabled", and the call succeeds. */
typedef struct _KDPC_WATCHDOG_INFORMATION {
  ULONG DpcTimeLimit;
  ULONG DpcTimeCount;
  ULONG DpcWatchdogLimit;
  ULONG DpcWatchdogCount;
  ULONG Reserved;
} KDPC_WATCHDOG_INFORMATION, *PKDPC_WATCHDOG_INFORMATION;
static inline NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation) {
  WatchdogInformation->DpcTimeLimit = 0;
  WatchdogInformation->DpcTimeCount = 0;
  WatchdogInformation->DpcWatchdogLimit = 0;
  WatchdogInformation->DpcWatchdogCount = 0;
  WatchdogInformation->Reserved = 0;
  return STATUS_SUCCESS;
}
/* Cache-line alignment for data several processors share ([MODEL] 64 bytes, one processor here). */
#define KeGetRecommendedSharedDataAlignment() ((ULONG)64)
#define ALIGN_DOWN_POINTER_BY(address, alignment) ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment) \
  (ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))
NDIS_TS_IMPORT(KeInitializeEvent) void KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
NDIS_TS_IMPORT(KeSetEvent) LONG KeSetEvent(PRKEVENT Event, LONG Increment, BOOLEAN Wait);
NDIS_TS_IMPORT(KeClearEvent) void KeClearEvent(PRKEVENT Event);
NDIS_TS_IMPORT(KeResetEvent) LONG KeResetEvent(PRKEVENT Event);
NDIS_TS_IMPORT(KeReadStateEvent) LONG KeReadStateEvent(PRKEVENT Event);
NDIS_TS_IMPORT(KeWaitForSingleObject)
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NDIS_TS_IMPORT(DbgPrint) ULONG DbgPrint(PCSTR Format, ...);
#define KdPrint(x) ((void)DbgPrint x)
#define DbgBreakPoint() __builtin_trap()


/* ---- more of the kernel base a network driver uses ---- */
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_NOTHROW
#define DECLSPEC_SELECTANY __attribute__((weak))
#define DECLSPEC_NOALIAS
#define DECLSPEC_RESTRICT
#define DECLSPEC_GUARDNOCF
#define DECLSPEC_CACHEALIGN_FIELD
#define NTSYSAPI
#define NTKERNELAPI
#define NTHALAPI
#define FASTCALL
#define EXTERN_C extern
#define C_ASSERT(e) _Static_assert((e), #e)
#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define STATUS_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define STATUS_INVALID_BUFFER_SIZE ((NTSTATUS)0xC0000206L)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define STATUS_DEVICE_NOT_READY ((NTSTATUS)0xC00000A3L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define STATUS_DEVICE_BUSY ((NTSTATUS)0x80000011L)
#define STATUS_REQUEST_ABORTED ((NTSTATUS)0xC0000240L)
#define STATUS_INTEGER_OVERFLOW ((NTSTATUS)0xC0000095L)
#define STATUS_ALERTED ((NTSTATUS)0x00000101L)
#define STATUS_USER_APC ((NTSTATUS)0x000000C0L)
#define STATUS_WAIT_0 ((NTSTATUS)0x00000000L)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffUL
#define MAXLONG 0x7fffffffL
#define MINLONG ((LONG)0x80000000L)
#define MAXLONGLONG 0x7fffffffffffffffLL
#define MAXULONG_PTR 0xffffffffUL
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#define FlagOn(F, SF) ((F) & (SF))
#define SetFlag(F, SF) ((F) |= (SF))
#define ClearFlag(F, SF) ((F) &= ~(SF))
#if !defined(NOMINMAX) && !defined(min)
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#if !defined(NOMINMAX) && !defined(max)
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
typedef ULONG ACCESS_MASK;
typedef PVOID PSECURITY_DESCRIPTOR;
typedef ULONG_PTR ERESOURCE_THREAD;
typedef CCHAR *PCCHAR;
typedef LONG KPRIORITY;
typedef PVOID PEPROCESS, PETHREAD, PKTHREAD, HANDLE, *PHANDLE;
typedef struct _PROCESSOR_NUMBER {
  USHORT Group;
  UCHAR Number;
  UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

/* Paging does not exist here: code is always resident (the pragmas are ignored too). */
#define PAGED_CODE() ((void)0)
#define PAGED_CODE_LOCKED() ((void)0)
#define ALLOC_PRAGMA 1
#define ALLOC_DATA_PRAGMA 1

/* One processor runs driver code (docs/c-drivers.md). */
#define KeGetCurrentProcessorNumber() 0UL
#define KeGetCurrentProcessorIndex() 0UL
FORCEINLINE ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER n) {
  if (n != NULL) n->Group = 0, n->Number = 0, n->Reserved = 0;
  return 0;
}
#define KeQueryActiveProcessorCount(affinity) 1UL
#define KeQueryActiveProcessorCountEx(group) 1UL
#define KeQueryMaximumProcessorCount() 1UL
#define KeQueryMaximumProcessorCountEx(group) 1UL
#define KeNumberProcessors 1

/* ---- byte order (the network is big-endian, wasm32 little-endian) ---- */
FORCEINLINE USHORT RtlUshortByteSwap(USHORT v) { return __builtin_bswap16(v); }
FORCEINLINE ULONG RtlUlongByteSwap(ULONG v) { return __builtin_bswap32(v); }
FORCEINLINE ULONGLONG RtlUlonglongByteSwap(ULONGLONG v) { return __builtin_bswap64(v); }
#define _byteswap_ushort(v) __builtin_bswap16(v)
#define _byteswap_ulong(v) __builtin_bswap32(v)
#define _byteswap_uint64(v) __builtin_bswap64(v)

/* ---- strings ---- */
FORCEINLINE void RtlInitString(PSTRING s, PCSTR text) {
  USHORT n = 0;
  if (text != NULL)
    while (text[n] != 0) n++;
  s->Length = n;
  s->MaximumLength = (USHORT)(text == NULL ? 0 : n + 1);
  s->Buffer = (PCHAR)text;
}
#define RtlInitAnsiString(s, t) RtlInitString((s), (t))
FORCEINLINE WCHAR __ndis_upcase(WCHAR c) { return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 32) : c; }
FORCEINLINE LONG RtlCompareUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN caseInsensitive) {
  ULONG n = a->Length / sizeof(WCHAR), m = b->Length / sizeof(WCHAR), i;
  for (i = 0; i < n && i < m; i++) {
    WCHAR x = a->Buffer[i], y = b->Buffer[i];
    if (caseInsensitive) x = __ndis_upcase(x), y = __ndis_upcase(y);
    if (x != y) return x < y ? -1 : 1;
  }
  return n == m ? 0 : n < m ? -1 : 1;
}
FORCEINLINE BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN caseInsensitive) {
  return (BOOLEAN)(a->Length == b->Length && RtlCompareUnicodeString(a, b, caseInsensitive) == 0);
}
FORCEINLINE void RtlCopyUnicodeString(PUNICODE_STRING d, PCUNICODE_STRING s) {
  USHORT n;
  if (s == NULL) {
    d->Length = 0;
    return;
  }
  n = s->Length < d->MaximumLength ? s->Length : d->MaximumLength;
  __builtin_memmove(d->Buffer, s->Buffer, n);
  d->Length = n;
  if (n + sizeof(WCHAR) <= d->MaximumLength) d->Buffer[n / sizeof(WCHAR)] = 0;
}

/* ---- kernel spin locks: the same locks as NDIS_SPIN_LOCK's, found by the lock's address ---- */
typedef struct _KSPIN_LOCK_QUEUE {
  struct _KSPIN_LOCK_QUEUE *volatile Next;
  PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;
typedef struct _KLOCK_QUEUE_HANDLE {
  KSPIN_LOCK_QUEUE LockQueue;
  KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;
NDIS_TS_IMPORT(KeInitializeSpinLock) void KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
NDIS_TS_IMPORT(KeAcquireSpinLock) void __ndis_KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql);
#define KeAcquireSpinLock(l, old) __ndis_KeAcquireSpinLock((l), (old))
NDIS_TS_IMPORT(KeReleaseSpinLock) void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
NDIS_TS_IMPORT(KeAcquireSpinLockAtDpcLevel) void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NDIS_TS_IMPORT(KeTryToAcquireSpinLockAtDpcLevel) BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NDIS_TS_IMPORT(KeReleaseSpinLockFromDpcLevel) void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
FORCEINLINE KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK l) {
  KIRQL old;
  __ndis_KeAcquireSpinLock(l, &old);
  return old;
}
FORCEINLINE void KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK l, PKLOCK_QUEUE_HANDLE h) {
  h->LockQueue.Next = NULL;
  h->LockQueue.Lock = l;
  __ndis_KeAcquireSpinLock(l, &h->OldIrql);
}
FORCEINLINE void KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE h) { KeReleaseSpinLock(h->LockQueue.Lock, h->OldIrql); }
FORCEINLINE void KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK l, PKLOCK_QUEUE_HANDLE h) {
  h->LockQueue.Next = NULL;
  h->LockQueue.Lock = l;
  KeAcquireSpinLockAtDpcLevel(l);
}
FORCEINLINE void KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE h) {
  KeReleaseSpinLockFromDpcLevel(h->LockQueue.Lock);
}
FORCEINLINE PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY head, PLIST_ENTRY entry, PKSPIN_LOCK l) {
  KIRQL old;
  PLIST_ENTRY first;
  __ndis_KeAcquireSpinLock(l, &old);
  first = IsListEmpty(head) ? NULL : head->Flink;
  InsertTailList(head, entry);
  KeReleaseSpinLock(l, old);
  return first;
}
FORCEINLINE PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY head, PLIST_ENTRY entry, PKSPIN_LOCK l) {
  KIRQL old;
  PLIST_ENTRY first;
  __ndis_KeAcquireSpinLock(l, &old);
  first = IsListEmpty(head) ? NULL : head->Flink;
  InsertHeadList(head, entry);
  KeReleaseSpinLock(l, old);
  return first;
}
FORCEINLINE PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY head, PKSPIN_LOCK l) {
  KIRQL old;
  PLIST_ENTRY first = NULL;
  __ndis_KeAcquireSpinLock(l, &old);
  if (!IsListEmpty(head)) first = RemoveHeadList(head);
  KeReleaseSpinLock(l, old);
  return first;
}

/* ---- pool memory (tracked like NdisAllocateMemoryWithTagPriority's; leaks named by tag) ---- */
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define NonPagedPoolNxCacheAligned (NonPagedPoolNx + 4)
#define NonPagedPoolCacheAligned 4
NDIS_TS_IMPORT(ExAllocatePoolWithTag) PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NDIS_TS_IMPORT(ExFreePoolWithTag) void ExFreePoolWithTag(PVOID P, ULONG Tag);
#define ExFreePool(p) ExFreePoolWithTag((p), 0)
#define ExAllocatePoolZero(t, n, tag) ExAllocatePoolWithTag((t), (n), (tag))
#define ExAllocatePoolUninitialized(t, n, tag) ExAllocatePoolWithTag((t), (n), (tag))
#define ExAllocatePoolWithTagPriority(t, n, tag, pri) ExAllocatePoolWithTag((t), (n), (tag))
#define ExAllocatePool2(flags, n, tag) \
  ExAllocatePoolWithTag(((flags) & POOL_FLAG_PAGED) ? PagedPool : NonPagedPoolNx, (n), (tag))
#define ExAllocatePool3(flags, n, tag, ext, count) ExAllocatePool2((flags), (n), (tag))

/* ---- time (100 ns units, on the host clock: ManualClock in tests) ---- */
NDIS_TS_IMPORT(KeQuerySystemTime) void __ndis_QuerySystemTime(PLARGE_INTEGER CurrentTime);
#define KeQuerySystemTime(t) __ndis_QuerySystemTime(t)
#define KeQuerySystemTimePrecise(t) __ndis_QuerySystemTime(t)
FORCEINLINE ULONGLONG KeQueryInterruptTime(void) {
  LARGE_INTEGER t;
  __ndis_QuerySystemTime(&t);
  return (ULONGLONG)t.QuadPart;
}
#define KeQueryInterruptTimePrecise(qpc) KeQueryInterruptTime()
FORCEINLINE void KeQueryTickCount(PLARGE_INTEGER ticks) {
  __ndis_QuerySystemTime(ticks);
  ticks->QuadPart /= 156250; /* 15.625 ms ticks */
}
#define KeQueryTimeIncrement() 156250UL
FORCEINLINE LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER frequency) {
  LARGE_INTEGER t;
  __ndis_QuerySystemTime(&t);
  if (frequency != NULL) frequency->QuadPart = 10000000;
  return t;
}

/* ---- debugging output: accepted and discarded, as DbgPrint ---- */
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_IHVNETWORK_ID 0x61
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_DEFAULT_ID 101
#define DbgPrintEx(component, level, ...) ((void)(component), (void)(level), DbgPrint(__VA_ARGS__))
#define KdPrintEx(x) ((void)DbgPrintEx x)
#define KdBreakPoint() ((void)0)


/* ---- more interlocked forms (plain read-modify-writes here, as above) ---- */
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedExchangeAddNoFence InterlockedExchangeAdd
#define InterlockedAddNoFence InterlockedAdd
#define InterlockedIncrementNoFence64 InterlockedIncrement64
#define InterlockedDecrementNoFence64 InterlockedDecrement64
#define InterlockedAddNoFence64 InterlockedAdd64
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedExchangeNoFence InterlockedExchange
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
#define InterlockedExchangePointerAcquire InterlockedExchangePointer
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedCompareExchange InterlockedCompareExchange
#define _InterlockedOr InterlockedOr
#define _InterlockedAnd InterlockedAnd
FORCEINLINE LONG InterlockedXor(LONG volatile *p, LONG v) {
  LONG old = *p;
  *p = old ^ v;
  return old;
}
FORCEINLINE SHORT InterlockedIncrement16(SHORT volatile *p) { return ++*p; }
FORCEINLINE SHORT InterlockedDecrement16(SHORT volatile *p) { return --*p; }
FORCEINLINE CHAR InterlockedExchange8(CHAR volatile *p, CHAR v) {
  CHAR old = *p;
  *p = v;
  return old;
}
FORCEINLINE CHAR InterlockedOr8(CHAR volatile *p, CHAR v) {
  CHAR old = *p;
  *p = (CHAR)(old | v);
  return old;
}
FORCEINLINE CHAR InterlockedAnd8(CHAR volatile *p, CHAR v) {
  CHAR old = *p;
  *p = (CHAR)(old & v);
  return old;
}
FORCEINLINE LONG64 InterlockedExchange64(LONG64 volatile *p, LONG64 v) {
  LONG64 old = *p;
  *p = v;
  return old;
}
FORCEINLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *p, LONG64 exchange, LONG64 comparand) {
  LONG64 old = *p;
  if (old == comparand) *p = exchange;
  return old;
}
#define ReadAcquire(p) (*(p))
#define ReadRaw(p) (*(p))
#define WriteRelease(p, v) (*(p) = (v))
#define WriteRaw(p, v) (*(p) = (v))
#define ReadULongAcquire(p) (*(p))
#define ReadPointerAcquire(p) (*(p))
#define WritePointerRelease(p, v) (*(p) = (v))
#define ReadBooleanAcquire(p) (*(p))
#define WriteBooleanRelease(p, v) (*(p) = (v))
#define YieldProcessor() ((void)0)
#define KeMemoryBarrierWithoutFence() ((void)0)
#define _ReadWriteBarrier() ((void)0)

/* ---- singly linked lists with a depth (SLIST_HEADER above) ---- */
FORCEINLINE void InitializeSListHead(PSLIST_HEADER head) {
  head->Alignment = 0;
}
#define ExInitializeSListHead(h) InitializeSListHead(h)
FORCEINLINE PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER head, PSLIST_ENTRY entry) {
  PSLIST_ENTRY first = head->Next.Next;
  entry->Next = first;
  head->Next.Next = entry;
  head->Depth++;
  return first;
}
FORCEINLINE PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER head) {
  PSLIST_ENTRY first = head->Next.Next;
  if (first != NULL) {
    head->Next.Next = first->Next;
    head->Depth--;
  }
  return first;
}
FORCEINLINE PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER head) {
  PSLIST_ENTRY first = head->Next.Next;
  head->Next.Next = NULL;
  head->Depth = 0;
  return first;
}
#define ExInterlockedPushEntrySList(h, e, lock) InterlockedPushEntrySList((h), (e))
#define ExInterlockedPopEntrySList(h, lock) InterlockedPopEntrySList(h)
#define ExInterlockedFlushSList(h) InterlockedFlushSList(h)
#define QueryDepthSList(h) ((USHORT)(h)->Depth)
#define ExQueryDepthSList(h) QueryDepthSList(h)
#define FirstEntrySList(h) ((h)->Next.Next)

/* ---- executive spin locks (shared/exclusive): an NDIS read-write lock per address ---- */
typedef LONG EX_SPIN_LOCK, *PEX_SPIN_LOCK;
NDIS_TS_IMPORT(ExAcquireSpinLockShared) KIRQL ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(ExAcquireSpinLockExclusive) KIRQL ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(ExReleaseSpinLockShared) void ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NDIS_TS_IMPORT(ExReleaseSpinLockExclusive) void ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
#define ExAcquireSpinLockSharedAtDpcLevel(l) ((void)ExAcquireSpinLockShared(l))
#define ExAcquireSpinLockExclusiveAtDpcLevel(l) ((void)ExAcquireSpinLockExclusive(l))
#define ExReleaseSpinLockSharedFromDpcLevel(l) ExReleaseSpinLockShared((l), DISPATCH_LEVEL)
#define ExReleaseSpinLockExclusiveFromDpcLevel(l) ExReleaseSpinLockExclusive((l), DISPATCH_LEVEL)

/* ---- kernel mutexes: NDIS's mutex (NDIS_INIT_MUTEX…); the wait blocks (PASSIVE_LEVEL) ---- */
typedef struct _KMUTEX {
  PVOID Mutex[8];
  ULONG ThreadId;
} KMUTEX, *PKMUTEX, *PRKMUTEX, KMUTANT, *PKMUTANT;
NDIS_TS_IMPORT(NDIS_INIT_MUTEX) void __ndis_KeInitializeMutex(PKMUTEX Mutex);
NDIS_TS_IMPORT(NDIS_WAIT_FOR_MUTEX) NTSTATUS __ndis_KeWaitForMutex(PKMUTEX Mutex);
NDIS_TS_IMPORT(NDIS_RELEASE_MUTEX) LONG __ndis_KeReleaseMutex(PKMUTEX Mutex);
#define KeInitializeMutex(m, level) __ndis_KeInitializeMutex(m)
#define KeWaitForMutexObject(m, reason, mode, alertable, timeout) __ndis_KeWaitForMutex(m)
#define KeReleaseMutex(m, wait) __ndis_KeReleaseMutex(m)

/* ---- executive lookaside lists: blocks of tracked pool memory (leaks named by tag) ---- */
typedef struct _LOOKASIDE_LIST_EX {
  SIZE_T Size;
  ULONG Tag;
  POOL_TYPE PoolType;
  ULONG_PTR Reserved[13];
} LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX;
typedef PVOID (*PALLOCATE_FUNCTION_EX)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside);
typedef VOID (*PFREE_FUNCTION_EX)(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside);
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL
/* Custom Allocate/Free routines are not called (the tracked pool is always used). */
FORCEINLINE NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX l, PALLOCATE_FUNCTION_EX allocate,
                                                 PFREE_FUNCTION_EX free, POOL_TYPE type, ULONG flags, SIZE_T size,
                                                 ULONG tag, USHORT depth) {
  (void)allocate, (void)free, (void)flags, (void)depth;
  l->Size = size;
  l->Tag = tag;
  l->PoolType = type;
  return STATUS_SUCCESS;
}
FORCEINLINE PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX l) { return ExAllocatePoolWithTag(l->PoolType, l->Size, l->Tag); }
FORCEINLINE void ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX l, PVOID entry) { ExFreePoolWithTag(entry, l->Tag); }
FORCEINLINE void ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX l) { (void)l; }
#define ExFlushLookasideListEx(l) ((void)(l))

/* Optional routines are looked up by name: none is found, so a driver takes its fallback. */
#define MmGetSystemRoutineAddress(name) ((PVOID)0)
#define RtlIsNtDdiVersionAvailable(v) ((BOOLEAN)((v) <= 0x0A000000))
#define NTDDI_WIN7 0x06010000
#define NTDDI_WIN8 0x06020000
#define NTDDI_WINBLUE 0x06030000
#define NTDDI_WIN10 0x0A000000
#ifndef NTDDI_VERSION
#define NTDDI_VERSION NTDDI_WIN10
#endif
#define KeEnterCriticalRegion() ((void)0)
#define KeLeaveCriticalRegion() ((void)0)
#define PsGetCurrentProcessId() ((HANDLE)0)
#define PsGetCurrentThreadId() ((HANDLE)0)


/* ---- odds and ends of the kernel headers ---- */
#define NOTHING
#define STATUS_DEVICE_DOES_NOT_EXIST ((NTSTATUS)0xC00000C0L)
#define STATUS_REVISION_MISMATCH ((NTSTATUS)0xC0000059L)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define IO_NETWORK_INCREMENT 2
#define IO_SERIAL_INCREMENT 2
typedef CHAR TCHAR, *PTCHAR, *LPTSTR, *LPSTR;
typedef const CHAR *LPCTSTR, *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;

/* Object attributes and registry types, so that code using them reaches the "not supported" error. */
typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
#define OBJ_INHERIT 0x00000002L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_KERNEL_HANDLE 0x00000200L
#define InitializeObjectAttributes(p, n, a, r, s)                                               \
  ((p)->Length = sizeof(OBJECT_ATTRIBUTES), (p)->RootDirectory = (r), (p)->Attributes = (a), \
   (p)->ObjectName = (n), (p)->SecurityDescriptor = (s), (p)->SecurityQualityOfService = NULL)
#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE 0x0002
#define KEY_READ 0x20019
#define KEY_WRITE 0x20006
#define KEY_ALL_ACCESS 0xF003F
#define REG_NONE 0
#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_DWORD_LITTLE_ENDIAN 4
#define REG_DWORD_BIG_ENDIAN 5
#define REG_MULTI_SZ 7
#define REG_QWORD 11
typedef enum _KEY_VALUE_INFORMATION_CLASS {
  KeyValueBasicInformation,
  KeyValueFullInformation,
  KeyValuePartialInformation
} KEY_VALUE_INFORMATION_CLASS;
typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG DataLength;
  UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

/*
 * The driver's own service key (its RegistryPath) and that key's Parameters subkey, read-only:
 * both hold the driver's registry values (docs/c-drivers.md). ZwQueryValueKey answers
 * KeyValuePartialInformation; a REG_SZ's data is 32-bit WCHARs here.
 */
NDIS_TS_IMPORT(ZwOpenKey) NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes);
NDIS_TS_IMPORT(ZwQueryValueKey)
NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                         PVOID KeyValueInformation, ULONG Length, PULONG ResultLength);
NDIS_TS_IMPORT(ZwClose) NTSTATUS ZwClose(HANDLE Handle);

/* ---- the OS version: Windows 10 (10.0.19041) to a driver that asks ---- */
typedef struct _OSVERSIONINFOW {
  ULONG dwOSVersionInfoSize;
  ULONG dwMajorVersion;
  ULONG dwMinorVersion;
  ULONG dwBuildNumber;
  ULONG dwPlatformId;
  WCHAR szCSDVersion[128];
} OSVERSIONINFOW, *POSVERSIONINFOW, RTL_OSVERSIONINFOW, *PRTL_OSVERSIONINFOW;
typedef struct _OSVERSIONINFOEXW {
  ULONG dwOSVersionInfoSize;
  ULONG dwMajorVersion;
  ULONG dwMinorVersion;
  ULONG dwBuildNumber;
  ULONG dwPlatformId;
  WCHAR szCSDVersion[128];
  USHORT wServicePackMajor;
  USHORT wServicePackMinor;
  USHORT wSuiteMask;
  UCHAR wProductType;
  UCHAR wReserved;
} OSVERSIONINFOEXW, *POSVERSIONINFOEXW, RTL_OSVERSIONINFOEXW, *PRTL_OSVERSIONINFOEXW;
#define NDIS_TS_OS_MAJOR 10
#define NDIS_TS_OS_MINOR 0
#define NDIS_TS_OS_BUILD 19041
FORCEINLINE NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW info) {
  info->dwMajorVersion = NDIS_TS_OS_MAJOR;
  info->dwMinorVersion = NDIS_TS_OS_MINOR;
  info->dwBuildNumber = NDIS_TS_OS_BUILD;
  info->dwPlatformId = 2;
  info->szCSDVersion[0] = 0;
  if (info->dwOSVersionInfoSize >= sizeof(RTL_OSVERSIONINFOEXW)) {
    PRTL_OSVERSIONINFOEXW ex = (PRTL_OSVERSIONINFOEXW)info;
    ex->wServicePackMajor = ex->wServicePackMinor = 0;
    ex->wSuiteMask = 0;
    ex->wProductType = 1;
  }
  return STATUS_SUCCESS;
}
#define VER_MINORVERSION 0x0000001
#define VER_MAJORVERSION 0x0000002
#define VER_BUILDNUMBER 0x0000004
#define VER_PLATFORMID 0x0000008
#define VER_SERVICEPACKMINOR 0x0000010
#define VER_SERVICEPACKMAJOR 0x0000020
#define VER_EQUAL 1
#define VER_GREATER 2
#define VER_GREATER_EQUAL 3
#define VER_LESS 4
#define VER_LESS_EQUAL 5
FORCEINLINE ULONGLONG VerSetConditionMask(ULONGLONG mask, ULONG type, UCHAR condition) {
  int shift = type == VER_MINORVERSION ? 0 : type == VER_MAJORVERSION ? 3 : type == VER_BUILDNUMBER ? 6 : 9;
  return mask | ((ULONGLONG)(condition & 7) << shift);
}
#define VER_SET_CONDITION(mask, type, condition) ((mask) = VerSetConditionMask((mask), (type), (condition)))
FORCEINLINE int __ndis_ver_test(ULONG have, ULONG want, int condition) {
  switch (condition) {
    case VER_EQUAL: return have == want;
    case VER_GREATER: return have > want;
    case VER_GREATER_EQUAL: return have >= want;
    case VER_LESS: return have < want;
    case VER_LESS_EQUAL: return have <= want;
    default: return 0;
  }
}
/* Major, minor and build compared hierarchically (the first that differs decides), as documented. */
FORCEINLINE NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW info, ULONG types, ULONGLONG mask) {
  ULONG have[3] = {NDIS_TS_OS_MAJOR, NDIS_TS_OS_MINOR, NDIS_TS_OS_BUILD};
  ULONG want[3] = {info->dwMajorVersion, info->dwMinorVersion, info->dwBuildNumber};
  ULONG bits[3] = {VER_MAJORVERSION, VER_MINORVERSION, VER_BUILDNUMBER};
  int shift[3] = {3, 0, 6}, i;
  if (types == 0) return STATUS_INVALID_PARAMETER;
  for (i = 0; i < 3; i++) {
    int condition;
    if (!(types & bits[i])) continue;
    condition = (int)((mask >> shift[i]) & 7);
    if (have[i] != want[i] || i == 2) return __ndis_ver_test(have[i], want[i], condition) ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH;
    if (condition == VER_GREATER || condition == VER_LESS) {
      /* equal here: the next part decides; none left means not greater (less) */
      continue;
    }
  }
  return STATUS_SUCCESS;
}

/*
 * ---- cancel routines and cancel-safe queues ----
 * A pending IRP is never cancelled here (docs/c-drivers.md): a cancel routine is kept in the IRP
 * and never called, so an IO_CSQ is a plain queue under the driver's own lock, built from the
 * driver's callbacks as the kernel's library builds it.
 */
typedef VOID(DRIVER_CANCEL)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;
FORCEINLINE PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL routine) {
  return (PDRIVER_CANCEL)InterlockedExchangePointer((PVOID volatile *)&Irp->CancelRoutine, (PVOID)routine);
}
__attribute__((weak)) KSPIN_LOCK __ndis_IoCancelSpinLock;
#define IoAcquireCancelSpinLock(irql) __ndis_KeAcquireSpinLock(&__ndis_IoCancelSpinLock, (irql))
#define IoReleaseCancelSpinLock(irql) KeReleaseSpinLock(&__ndis_IoCancelSpinLock, (irql))
struct _IO_CSQ;
typedef struct _IO_CSQ_IRP_CONTEXT {
  ULONG Type;
  PIRP Irp;
  struct _IO_CSQ *Csq;
} IO_CSQ_IRP_CONTEXT, *PIO_CSQ_IRP_CONTEXT;
typedef VOID(IO_CSQ_INSERT_IRP)(struct _IO_CSQ *Csq, PIRP Irp);
typedef NTSTATUS(IO_CSQ_INSERT_IRP_EX)(struct _IO_CSQ *Csq, PIRP Irp, PVOID InsertContext);
typedef VOID(IO_CSQ_REMOVE_IRP)(struct _IO_CSQ *Csq, PIRP Irp);
typedef PIRP(IO_CSQ_PEEK_NEXT_IRP)(struct _IO_CSQ *Csq, PIRP Irp, PVOID PeekContext);
typedef VOID(IO_CSQ_ACQUIRE_LOCK)(struct _IO_CSQ *Csq, PKIRQL Irql);
typedef VOID(IO_CSQ_RELEASE_LOCK)(struct _IO_CSQ *Csq, KIRQL Irql);
typedef VOID(IO_CSQ_COMPLETE_CANCELED_IRP)(struct _IO_CSQ *Csq, PIRP Irp);
typedef IO_CSQ_INSERT_IRP *PIO_CSQ_INSERT_IRP;
typedef IO_CSQ_INSERT_IRP_EX *PIO_CSQ_INSERT_IRP_EX;
typedef IO_CSQ_REMOVE_IRP *PIO_CSQ_REMOVE_IRP;
typedef IO_CSQ_PEEK_NEXT_IRP *PIO_CSQ_PEEK_NEXT_IRP;
typedef IO_CSQ_ACQUIRE_LOCK *PIO_CSQ_ACQUIRE_LOCK;
typedef IO_CSQ_RELEASE_LOCK *PIO_CSQ_RELEASE_LOCK;
typedef IO_CSQ_COMPLETE_CANCELED_IRP *PIO_CSQ_COMPLETE_CANCELED_IRP;
typedef struct _IO_CSQ {
  ULONG Type;
  PIO_CSQ_INSERT_IRP CsqInsertIrp;
  PIO_CSQ_REMOVE_IRP CsqRemoveIrp;
  PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp;
  PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock;
  PIO_CSQ_RELEASE_LOCK CsqReleaseLock;
  PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp;
  PVOID ReservePointer;
} IO_CSQ, *PIO_CSQ;
#define IO_TYPE_CSQ_IRP_CONTEXT 1
#define IO_TYPE_CSQ 2
#define IO_TYPE_CSQ_EX 3
/* The context of an IRP in the queue: IoCsqRemoveIrp finds it through it. */
#define __NDIS_CSQ_CONTEXT(Irp) ((Irp)->Tail.Overlay.DriverContext[3])
FORCEINLINE NTSTATUS IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP insert, PIO_CSQ_REMOVE_IRP remove,
                                     PIO_CSQ_PEEK_NEXT_IRP peek, PIO_CSQ_ACQUIRE_LOCK acquire,
                                     PIO_CSQ_RELEASE_LOCK release, PIO_CSQ_COMPLETE_CANCELED_IRP complete) {
  Csq->Type = IO_TYPE_CSQ;
  Csq->CsqInsertIrp = insert;
  Csq->CsqRemoveIrp = remove;
  Csq->CsqPeekNextIrp = peek;
  Csq->CsqAcquireLock = acquire;
  Csq->CsqReleaseLock = release;
  Csq->CsqCompleteCanceledIrp = complete;
  Csq->ReservePointer = NULL;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX insert, PIO_CSQ_REMOVE_IRP remove,
                                       PIO_CSQ_PEEK_NEXT_IRP peek, PIO_CSQ_ACQUIRE_LOCK acquire,
                                       PIO_CSQ_RELEASE_LOCK release, PIO_CSQ_COMPLETE_CANCELED_IRP complete) {
  IoCsqInitialize(Csq, (PIO_CSQ_INSERT_IRP)insert, remove, peek, acquire, release, complete);
  Csq->Type = IO_TYPE_CSQ_EX;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext) {
  KIRQL irql;
  NTSTATUS status = STATUS_SUCCESS;
  Csq->CsqAcquireLock(Csq, &irql);
  if (Csq->Type == IO_TYPE_CSQ_EX) status = ((PIO_CSQ_INSERT_IRP_EX)Csq->CsqInsertIrp)(Csq, Irp, InsertContext);
  else Csq->CsqInsertIrp(Csq, Irp);
  if (NT_SUCCESS(status)) {
    if (Context != NULL) {
      Context->Type = IO_TYPE_CSQ_IRP_CONTEXT;
      Context->Irp = Irp;
      Context->Csq = Csq;
    }
    __NDIS_CSQ_CONTEXT(Irp) = Context;
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, (PDRIVER_CANCEL)(PVOID)Csq->CsqCompleteCanceledIrp);
  }
  Csq->CsqReleaseLock(Csq, irql);
  return status;
}
#define IoCsqInsertIrp(Csq, Irp, Context) ((void)IoCsqInsertIrpEx((Csq), (Irp), (Context), NULL))
FORCEINLINE PIRP IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext) {
  KIRQL irql;
  PIRP irp;
  Csq->CsqAcquireLock(Csq, &irql);
  irp = Csq->CsqPeekNextIrp(Csq, NULL, PeekContext);
  if (irp != NULL) {
    PIO_CSQ_IRP_CONTEXT context = (PIO_CSQ_IRP_CONTEXT)__NDIS_CSQ_CONTEXT(irp);
    IoSetCancelRoutine(irp, NULL);
    Csq->CsqRemoveIrp(Csq, irp);
    if (context != NULL) context->Irp = NULL;
    __NDIS_CSQ_CONTEXT(irp) = NULL;
  }
  Csq->CsqReleaseLock(Csq, irql);
  return irp;
}
FORCEINLINE PIRP IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context) {
  KIRQL irql;
  PIRP irp;
  Csq->CsqAcquireLock(Csq, &irql);
  irp = Context->Irp;
  if (irp != NULL) {
    IoSetCancelRoutine(irp, NULL);
    Csq->CsqRemoveIrp(Csq, irp);
    Context->Irp = NULL;
    __NDIS_CSQ_CONTEXT(irp) = NULL;
  }
  Csq->CsqReleaseLock(Csq, irql);
  return irp;
}


/* ---- role typedefs and types that declarations need (the routines behind some are not here) ---- */
typedef PVOID(ALLOCATE_FUNCTION)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef VOID(FREE_FUNCTION)(PVOID Buffer);
typedef struct _GROUP_AFFINITY {
  KAFFINITY Mask;
  USHORT Group;
  USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;
struct _KDPC;
typedef VOID(KDEFERRED_ROUTINE)(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;
/*
 * A kernel DPC and a kernel timer: caller-allocated storage whose state is the kernel's (ndis-ts
 * keeps it by the object's address; the fields are opaque, as documented). A DPC routine runs at
 * DISPATCH_LEVEL as NDIS's deferred work; a timer expires on the host's clock.
 */
typedef struct _KDPC {
  ULONG_PTR Reserved[8];
} KDPC, *PKDPC, *PRKDPC;
typedef struct _KTIMER {
  ULONG_PTR Reserved[10];
} KTIMER, *PKTIMER, *PRKTIMER;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
/* The documented role typedefs of a DPC routine: `KDEFERRED_ROUTINE MyDpc;`. */
typedef KDEFERRED_ROUTINE CUSTOM_DPC, *PCUSTOM_DPC;
typedef KDEFERRED_ROUTINE CUSTOM_TIMER_DPC, *PCUSTOM_TIMER_DPC;
NDIS_TS_IMPORT(KeInitializeDpc)
void KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);
NDIS_TS_IMPORT(KeInsertQueueDpc)
BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);
NDIS_TS_IMPORT(KeRemoveQueueDpc) BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);
NDIS_TS_IMPORT(KeFlushQueuedDpcs) void KeFlushQueuedDpcs(void);
NDIS_TS_IMPORT(KeInitializeTimerEx) void KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
#define KeInitializeTimer(Timer) KeInitializeTimerEx((Timer), NotificationTimer)
NDIS_TS_IMPORT(KeSetTimerEx) BOOLEAN __ndis_KeSetTimerEx(PKTIMER Timer, LONGLONG DueTime, LONG Period, PKDPC Dpc);
/* DueTime is a LARGE_INTEGER by value; the import takes its 64 bits. */
FORCEINLINE BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  return __ndis_KeSetTimerEx(Timer, DueTime.QuadPart, Period, Dpc);
}
#define KeSetTimer(Timer, DueTime, Dpc) KeSetTimerEx((Timer), (DueTime), 0, (Dpc))
NDIS_TS_IMPORT(KeCancelTimer) BOOLEAN KeCancelTimer(PKTIMER Timer);
NDIS_TS_IMPORT(KeReadStateTimer) BOOLEAN KeReadStateTimer(PKTIMER Timer);
/* DPC importance and target processor: one processor, one queue; accepted and ignored. */
typedef enum _KDPC_IMPORTANCE { LowImportance, MediumImportance, HighImportance, MediumHighImportance } KDPC_IMPORTANCE;
#define KeSetImportanceDpc(Dpc, Importance) ((void)(Dpc), (void)(Importance))
#define KeSetTargetProcessorDpc(Dpc, Number) ((void)(Dpc), (void)(Number))

/*
 * ---- what ndis-ts does not have (docs/c-drivers.md, "Not supported") ----
 * Declared unavailable, so that a driver calling one fails to build at the call, with the reason.
 */
#define NDIS_TS_UNAVAILABLE(why) __attribute__((unavailable(why " (docs/c-drivers.md, Not supported)")))
#define NDIS_TS_NO_WDM_DEVICES "ndis-ts has no WDM device stacks: a driver's own device (IoCreateDevice) or NDIS's (NdisRegisterDeviceEx) takes requests from user mode only"
#define NDIS_TS_NO_REGISTRY "ndis-ts's registry is the driver's own service key, read-only: ZwOpenKey and ZwQueryValueKey on it, or NdisOpenConfigurationEx"
#define NDIS_TS_NO_PROCESSES "ndis-ts has no processes or threads of its own: use NdisAllocateIoWorkItem or NdisAllocateTimerObject"
#define NDIS_TS_NO_USER_MEMORY "ndis-ts has no user address spaces: use buffered I/O (DO_BUFFERED_IO) or the MDL NDIS gives"
#define NDIS_TS_NO_CANCEL "ndis-ts has no IRP cancel or completion routines: complete or pend IRPs in the dispatch routine"
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_WDM_DEVICES) NTSTATUS IoCallDriver();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_WDM_DEVICES) PVOID IoAttachDeviceToDeviceStack();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_WDM_DEVICES) PVOID IoAllocateIrp();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_WDM_DEVICES) PVOID IoBuildDeviceIoControlRequest();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_REGISTRY) NTSTATUS ZwCreateKey();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_REGISTRY) NTSTATUS ZwSetValueKey();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_REGISTRY) NTSTATUS RtlQueryRegistryValues();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_REGISTRY) NTSTATUS RtlCheckRegistryKey();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) NTSTATUS PsCreateSystemThread();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) NTSTATUS PsTerminateSystemThread();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) NTSTATUS PsSetCreateProcessNotifyRoutine();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) NTSTATUS PsLookupProcessByProcessId();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) NTSTATUS ObReferenceObjectByHandle();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) void ObDereferenceObject();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) void ObfDereferenceObject();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) void KeStackAttachProcess();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) void KeUnstackDetachProcess();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_USER_MEMORY) void MmProbeAndLockPages();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_USER_MEMORY) void MmUnlockPages();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_USER_MEMORY) void ProbeForRead();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_USER_MEMORY) void ProbeForWrite();
NDIS_TS_UNAVAILABLE("an MDL is NDIS's: allocate one with NdisAllocateMdl") PMDL IoAllocateMdl();
NDIS_TS_UNAVAILABLE("an MDL is NDIS's: free it with NdisFreeMdl") void IoFreeMdl();
NDIS_TS_UNAVAILABLE("an MDL from NdisAllocateMdl is built already") void MmBuildMdlForNonPagedPool();
NDIS_TS_UNAVAILABLE("partial MDLs are not modelled") void IoBuildPartialMdl();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_CANCEL) void IoSetCompletionRoutine();
NDIS_TS_UNAVAILABLE("one object at a time: wait on each with KeWaitForSingleObject") NTSTATUS KeWaitForMultipleObjects();
NDIS_TS_UNAVAILABLE("executive resources are not modelled: use an NDIS read-write lock (NdisAllocateRWLock)") BOOLEAN ExInitializeResourceLite();
NDIS_TS_UNAVAILABLE("executive resources are not modelled: use an NDIS read-write lock (NdisAllocateRWLock)") BOOLEAN ExAcquireResourceExclusiveLite();
NDIS_TS_UNAVAILABLE("executive resources are not modelled: use an NDIS read-write lock (NdisAllocateRWLock)") BOOLEAN ExAcquireResourceSharedLite();
NDIS_TS_UNAVAILABLE("executive resources are not modelled: use an NDIS read-write lock (NdisAllocateRWLock)") void ExReleaseResourceLite();
NDIS_TS_UNAVAILABLE("executive resources are not modelled: use an NDIS read-write lock (NdisAllocateRWLock)") NTSTATUS ExDeleteResourceLite();


/*
 * ---- structured exception handling: there are no exceptions to catch here ----
 * A __try block runs; its __except block never does (a fault traps the module instead, and NDIS
 * reports it); a __finally block always runs after the __try block.
 */
#define __try if (1)
#define __except(filter) else if (0)
#define __finally if (1)
#define __leave ((void)0)
#define GetExceptionCode() ((NTSTATUS)0)
#define GetExceptionInformation() ((PVOID)0)
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#define ExRaiseStatus(status) __builtin_trap()
#define KeBugCheck(code) __builtin_trap()
#define KeBugCheckEx(code, p1, p2, p3, p4) __builtin_trap()
#define NT_VERIFY(e) ((e) ? TRUE : (ASSERT(e), FALSE))
#define NT_VERIFYMSG(m, e) NT_VERIFY(e)
#define NT_ASSERTMSG(m, e) ASSERT(e)
#define RtlSecureZeroMemory(d, n) RtlZeroMemory((d), (n))
#define RtlZeroBytes(d, n) RtlZeroMemory((d), (n))
#define RtlCopyBytes(d, s, n) RtlCopyMemory((d), (s), (n))
#define UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))

/* ---- ANSI and Unicode strings (ASCII only: other characters become '?') ---- */
FORCEINLINE void RtlFreeAnsiString(PANSI_STRING s) {
  if (s->Buffer != NULL) ExFreePoolWithTag(s->Buffer, 0);
  s->Buffer = NULL;
  s->Length = s->MaximumLength = 0;
}
FORCEINLINE void RtlFreeUnicodeString(PUNICODE_STRING s) {
  if (s->Buffer != NULL) ExFreePoolWithTag(s->Buffer, 0);
  s->Buffer = NULL;
  s->Length = s->MaximumLength = 0;
}
FORCEINLINE NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING d, PCUNICODE_STRING s, BOOLEAN allocate) {
  USHORT n = (USHORT)(s->Length / sizeof(WCHAR)), i;
  if (allocate) {
    d->Buffer = (PCHAR)ExAllocatePoolWithTag(NonPagedPoolNx, n + 1, 'rtsA');
    if (d->Buffer == NULL) return STATUS_NO_MEMORY;
    d->MaximumLength = (USHORT)(n + 1);
  } else if (d->MaximumLength < n + 1) {
    return STATUS_BUFFER_OVERFLOW;
  }
  for (i = 0; i < n; i++) d->Buffer[i] = s->Buffer[i] < 0x80 ? (CHAR)s->Buffer[i] : '?';
  d->Buffer[n] = 0;
  d->Length = n;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING d, const STRING *s, BOOLEAN allocate) {
  USHORT n = s->Length, i;
  if (allocate) {
    d->Buffer = (PWSTR)ExAllocatePoolWithTag(NonPagedPoolNx, (n + 1) * sizeof(WCHAR), 'rtsU');
    if (d->Buffer == NULL) return STATUS_NO_MEMORY;
    d->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
  } else if (d->MaximumLength < (n + 1) * sizeof(WCHAR)) {
    return STATUS_BUFFER_OVERFLOW;
  }
  for (i = 0; i < n; i++) d->Buffer[i] = (UCHAR)s->Buffer[i];
  d->Buffer[n] = 0;
  d->Length = (USHORT)(n * sizeof(WCHAR));
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING d, PCUNICODE_STRING s) {
  if (d->Length + s->Length > d->MaximumLength) return STATUS_BUFFER_TOO_SMALL;
  __builtin_memmove((PUCHAR)d->Buffer + d->Length, s->Buffer, s->Length);
  d->Length = (USHORT)(d->Length + s->Length);
  if (d->Length + sizeof(WCHAR) <= d->MaximumLength) d->Buffer[d->Length / sizeof(WCHAR)] = 0;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING d, PCWSTR s) {
  UNICODE_STRING t;
  RtlInitUnicodeString(&t, s);
  return RtlAppendUnicodeStringToString(d, &t);
}


/* ---- GUIDs: a definition wherever DEFINE_GUID is used (one object, shared across files) ---- */
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  __attribute__((weak)) const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#define IsEqualGUID(a, b) RtlEqualMemory((a), (b), sizeof(GUID))
#define InlineIsEqualGUID(a, b) IsEqualGUID((a), (b))
typedef const GUID *LPCGUID, *REFGUID;


/* ---- more kernel constants ---- */
#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define STATUS_DRIVER_INTERNAL_ERROR ((NTSTATUS)0xC0000183L)
#define STATUS_DEVICE_REMOVED ((NTSTATUS)0xC00002B6L)
#define STATUS_DEVICE_NOT_CONNECTED ((NTSTATUS)0xC000009DL)
#define STATUS_INVALID_USER_BUFFER ((NTSTATUS)0xC00000E8L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define STATUS_INVALID_ADDRESS ((NTSTATUS)0xC0000141L)
#define STATUS_NDIS_BAD_VERSION ((NTSTATUS)0xC0230004L)
#define STATUS_NDIS_OPEN_FAILED ((NTSTATUS)0xC0230007L)
#define STATUS_NDIS_INTERFACE_NOT_FOUND ((NTSTATUS)0xC023002BL)
#define STATUS_NDIS_PAUSED ((NTSTATUS)0xC023002AL)
#define STATUS_NDIS_LOW_POWER_STATE ((NTSTATUS)0xC023002FL)
#define FILE_SUPERSEDED 0x00000000
#define FILE_OPENED 0x00000001
#define FILE_CREATED 0x00000002
#define FILE_OVERWRITTEN 0x00000003
#define FILE_EXISTS 0x00000004
#define FILE_DOES_NOT_EXIST 0x00000005
#define FILE_DEVICE_SECURE_OPEN 0x00000100
#define FILE_AUTOGENERATED_DEVICE_NAME 0x00000080
#define RTL_REGISTRY_ABSOLUTE 0
#define RTL_REGISTRY_SERVICES 1
#define MAKELONG(a, b) ((LONG)(((USHORT)((ULONG_PTR)(a) & 0xffff)) | ((ULONG)((USHORT)((ULONG_PTR)(b) & 0xffff))) << 16))
#define MAKEWORD(a, b) ((USHORT)(((UCHAR)((ULONG_PTR)(a) & 0xff)) | ((USHORT)((UCHAR)((ULONG_PTR)(b) & 0xff))) << 8))
#define LOWORD(l) ((USHORT)((ULONG_PTR)(l) & 0xffff))
#define HIWORD(l) ((USHORT)((((ULONG_PTR)(l)) >> 16) & 0xffff))
#define LOBYTE(w) ((UCHAR)((ULONG_PTR)(w) & 0xff))
#define HIBYTE(w) ((UCHAR)((((ULONG_PTR)(w)) >> 8) & 0xff))
#define _Analysis_assume_lock_not_held_(...) ((void)0)
#define _Analysis_assume_lock_held_(...) ((void)0)
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) ULONG IoGetRequestorProcessId();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) PVOID IoGetCurrentProcess();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) PVOID PsGetCurrentProcess();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_PROCESSES) BOOLEAN IoIs32bitProcess();

#endif /* NDIS_TS_NT_H */
