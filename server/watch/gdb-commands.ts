// What memtide asks gdb to run inside a process, and how it reads the answers. Every call casts the
// function to its signature: without debug info (stripped binaries, and we tell gdb not to load
// any) a bare `call malloc_trim(0)` only prints "unknown return type" — and gdb still exits 0, so
// results are parsed from the output, never taken from the exit code.
/** glibc malloc_trim(0): returns free memory at the top of every arena and madvise(DONTNEED)s free
 * pages inside them (glibc ≥ 2.8, malloc/malloc.c mtrim). Answers 1 if memory was released. */
export const TRIM_COMMANDS = ['call ((int(*)(unsigned long))malloc_trim)(0)'];

export function parseTrimAnswer(stdout: string): string | undefined {
  const value = /^\$1 = (-?\d+)$/m.exec(stdout)?.[1];
  if (value === undefined) return undefined;
  return value === '1' ? 'malloc_trim(0) returned 1: memory was released' : `malloc_trim(0) returned ${value}: nothing was released`;
}

// CPython's gc.collect() through its C API. __import__ binds no name in __main__, so the target's
// globals stay as they were. 258 is Py_eval_input (Include/compile.h).
const GC_EXPRESSION = "__import__('gc').collect()";
const GC_STATEMENT = 'try:\\n __import__(\'gc\').collect()\\nexcept BaseException:\\n pass\\n';

/**
 * Direct: take the GIL (PyGILState_Ensure), evaluate gc.collect() in __main__, release the GIL.
 * Safe only while the main thread waits in a system call with the GIL released (time.sleep,
 * select, read…): measured here, injecting into a main thread that holds the GIL crashed it on the
 * 8th try. Prints "RESULT n", n objects found unreachable (−1 on a Python error).
 */
export const PYTHON_GC_DIRECT = [
  'set $g = ((int(*)(void))PyGILState_Ensure)()',
  'set $m = ((void*(*)(const char*))PyImport_AddModule)("__main__")',
  'set $d = ((void*(*)(void*))PyModule_GetDict)($m)',
  `set $r = ((void*(*)(const char*,int,void*,void*))PyRun_String)("${GC_EXPRESSION}", 258, $d, $d)`,
  'set $n = ($r != 0) ? ((long(*)(void*))PyLong_AsLong)($r) : -1',
  'if $r != 0\ncall ((void(*)(void*))Py_DecRef)($r)\nelse\ncall ((void(*)(void))PyErr_Clear)()\nend',
  'call ((void(*)(int))PyGILState_Release)($g)',
  'printf "RESULT %ld\\n", $n',
];

/**
 * Pending: Py_AddPendingCall(PyRun_SimpleString, "…gc.collect()…"), which the main thread runs at
 * its next bytecode boundary — the safe way into a busy interpreter (20/20 here). The string is
 * copied into the target (gdb mallocs it there) and stays: a few dozen bytes. Prints "RESULT 0"
 * once scheduled. It does not run while the main thread sleeps (3.11's time.sleep runs no pending calls).
 */
export const PYTHON_GC_PENDING = [
  `set $s = (char*)"${GC_STATEMENT}"`,
  'set $rc = ((int(*)(void*,void*))Py_AddPendingCall)((void*)PyRun_SimpleString, $s)',
  'printf "RESULT %d\\n", $rc',
];

export function parseResultLine(stdout: string): number | undefined {
  const value = /^RESULT (-?\d+)$/m.exec(stdout)?.[1];
  return value === undefined ? undefined : Number(value);
}

/** x86-64 system calls a Python main thread waits in with the GIL released (arch/x86/entry/syscalls/syscall_64.tbl):
 * read, poll, select, nanosleep, accept, recvfrom, recvmsg, wait4, clock_nanosleep, epoll_wait,
 * pselect6, ppoll, epoll_pwait, accept4, epoll_pwait2. Not futex (202): that may be a wait for the GIL. */
export const BLOCKING_SYSCALLS_X64 = [0, 7, 23, 35, 43, 45, 47, 61, 230, 232, 270, 271, 281, 288, 441];

/**
 * CPython's GC, choosing the way once gdb holds the process stopped (no race with a check made
 * before): on x86-64, a thread stopped inside a system call sits right after its `syscall`
 * instruction (0f 05) with the call's number in orig_rax. Main thread (gdb's thread 1) in one of
 * the blocking calls → direct; anything else (running, waiting for the GIL in futex) → pending.
 * Prints "METHOD direct|pending" then "RESULT n".
 */
export function pythonGcCommands(arch = process.arch): string[] {
  if (arch !== 'x64') return ['printf "METHOD pending\\n"', ...PYTHON_GC_PENDING];
  const waits = BLOCKING_SYSCALLS_X64.map((n) => `$orig_rax == ${n}`).join(' || ');
  return [
    'thread 1',
    `if *(unsigned short*)($pc - 2) == 0x050f && (${waits})`,
    'printf "METHOD direct\\n"',
    ...PYTHON_GC_DIRECT,
    'else',
    'printf "METHOD pending\\n"',
    ...PYTHON_GC_PENDING,
    'end',
  ];
}

export const parseGcMethod = (stdout: string): 'direct' | 'pending' | undefined =>
  /^METHOD (direct|pending)$/m.exec(stdout)?.[1] as 'direct' | 'pending' | undefined;
