/*
 * The PC's interrupt controllers and legacy ISA devices, for the machine
 * code (src/hw/x86/pc.c) to call while it builds a `pc` machine:
 *
 *   pc_intc_init(vm)             after the vCPUs exist (vm->vcpus[0..ncpus-1]):
 *                                8259 pair, IOAPIC, one LAPIC per vCPU,
 *                                vm->gsi[0..23] wired, vm->intc set.
 *   pc_isa_devices_init(vm, errp) after pc_intc_init: PIT (+ port 0x61),
 *                                RTC/CMOS, COM1-4 for each non-NULL
 *                                vm->serial[i], i8042, HPET, port 0x92,
 *                                debugcon on 0xe9 if vm->debugcon.
 *   pc_cmos_set(vm, idx, val)    fill CMOS bytes (memory size 0x15-0x18,
 *                                0x30-0x31, 0x34-0x35, 0x5b-0x5d ...).
 *
 * Wiring (as QEMU's pc machine and its MADT interrupt source override):
 * ISA IRQ n drives 8259 input n and IOAPIC pin n, except IRQ0 which drives
 * IOAPIC pin 2.  GSIs 16-23 drive only the IOAPIC.  Port 0xcf9 (reset
 * control) belongs to the PIIX code of the machine, not to this file.
 */
#ifndef LEMU_HW_X86_PC_DEVICES_H
#define LEMU_HW_X86_PC_DEVICES_H

#include <stdint.h>

#include "core/irq.h"

struct vm;
struct error;

/* Returns 0, or -errno (only on allocation/registration failure). */
int pc_intc_init(struct vm *vm);
int pc_isa_devices_init(struct vm *vm, struct error **errp);

/* CMOS byte idx (0..127) of the RTC created by pc_isa_devices_init. */
void pc_cmos_set(struct vm *vm, unsigned idx, uint8_t val);
/* The TSC frequency the guest sees, for TSC-deadline timing (default:
 * the host TSC, calibrated against CLOCK_MONOTONIC). */
void pc_intc_set_tsc_khz(struct vm *vm, uint64_t khz);
/* An IOAPIC input that bypasses the 8259 (HPET routes, PCI INTx GSIs). */
struct irq pc_ioapic_pin(struct vm *vm, int pin);
/* The monitor's inject-nmi / HMP nmi: an NMI on every CPU's LINT1 (as QEMU
 * does, so it follows each LVT LINT1: NMI in virtual-wire mode, masked or
 * reprogrammed by the guest); CPUs without an APIC get it directly. */
void pc_inject_nmi(struct vm *vm);
/* A20 gate (i8042 output port, port 0x92): updates vm->a20_mask and
 * flushes the vCPUs' TLBs. */
void pc_set_a20(struct vm *vm, int enabled);

#endif
