/*
 * Monitors: QMP (the JSON protocol of QEMU 7.2, for tools) and HMP (the
 * human monitor), on character devices.  Any number of monitors per VM;
 * everything hangs off the VM (vm->monitors), nothing is global.
 *
 * main() creates them from -qmp/-monitor/-mon/-serial mon:DEV before the
 * machine attaches its own frontends, and calls monitor_cleanup after the
 * main loop.  The monitor installs vm->notify to turn run-state changes
 * into QMP events (STOP, RESUME, RESET, SHUTDOWN).
 */
#ifndef LEMU_MONITOR_MONITOR_H
#define LEMU_MONITOR_MONITOR_H

#include <stdbool.h>

struct vm;
struct chardev;
struct error;

enum monitor_mode { MONITOR_HMP, MONITOR_QMP };

/* A monitor on an existing chardev.  0, or -1 with errp. */
int monitor_add(struct vm *vm, struct chardev *chr, enum monitor_mode mode, bool pretty,
                struct error **errp);
/* One command-line option: kind is "monitor", "qmp", "qmp-pretty" (a
 * chardev string form: stdio, tcp:..., unix:..., none) or "mon"
 * ([chardev=]ID[,mode=readline|control][,pretty=on|off]). */
int monitor_parse_option(struct vm *vm, const char *kind, const char *arg, struct error **errp);
/* Detach from the chardevs and free every monitor (after the main loop). */
void monitor_cleanup(struct vm *vm);

#endif
