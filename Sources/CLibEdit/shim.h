#ifndef CHARNN_CLIBEDIT_SHIM_H
#define CHARNN_CLIBEDIT_SHIM_H
// libedit's readline-compatible interface (Debian: libedit-dev; part of macOS). The settings are
// C globals, which Swift 6 treats as unsafe shared state: they are set here, in one call.
#include <stdio.h>
#include <editline/readline.h>
#include <wchar.h>

/// POSIX (XSI) wcwidth(3), which <wchar.h> declares only under _XOPEN_SOURCE: the columns a
/// character takes on the terminal, by the locale (the prompt's display width).
extern int wcwidth(wchar_t c);

/// Configures libedit before its first use. `getc_function` replaces libedit's reads (the REPL
/// needs to see Ctrl-C at the prompt: its handler uses SA_RESTART, so a plain read() would
/// resume and never notice); `catch_signals` 0 keeps libedit from installing its own handlers,
/// which would re-raise the signal to the whole process group (kill(0, sig)).
static inline void charnn_editor_configure(const char *name, int (*getc_function)(FILE *),
                                           rl_completion_func_t *complete) {
    rl_readline_name = name;
    rl_catch_signals = 0;
    rl_getc_function = getc_function;
    rl_attempted_completion_function = complete;
}

/// The whole line being edited (for completion: what the cursor's word belongs to).
static inline const char *charnn_editor_line(void) { return rl_line_buffer; }

/// Asks libedit not to fall back to file-name completion after this attempt.
static inline void charnn_editor_no_default_completion(void) { rl_attempted_completion_over = 1; }

/// What libedit inserts after a single completion: a space, or nothing (0) after a folder's "/".
static inline void charnn_editor_append_character(int c) { rl_completion_append_character = c; }

#endif
