/*
 * 8042 keyboard controller.  References: IBM PC/AT Technical Reference
 * ("Keyboard Controller": status register, command byte, commands
 * 20h/60h, AAh self test -> 55h, ABh interface test, ADh/AEh, C0h, D0h/D1h
 * output port with the system reset (bit 0) and gate A20 (bit 1) lines,
 * F0h-FFh pulse output port); IBM PS/2 Hardware Interface Technical
 * Reference (A7h/A8h/A9h auxiliary device, D2h/D3h/D4h, command byte bits
 * for the auxiliary port, keyboard commands EDh EEh F0h F2h F3h F4h F5h
 * F6h FEh FFh and mouse commands E6h-F6h, FFh with replies FAh/AAh/00h).
 */
#include "hw/input/i8042.h"

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/pc_devices.h"
#include "util/error.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10
#define ST_AUX_OBF 0x20

#define CTR_KBD_INT 0x01
#define CTR_AUX_INT 0x02
#define CTR_SYS 0x04
#define CTR_KBD_DIS 0x10
#define CTR_AUX_DIS 0x20
#define CTR_XLATE 0x40

#define OUT_RESET 0x01 /* active low: 0 holds the CPU in reset */
#define OUT_A20 0x02

#define ACK 0xfa
#define RESEND 0xfe

static void q_put(struct ps2_queue *q, uint8_t b)
{
	if (q->count == PS2_QUEUE)
		return; /* the device's buffer overflows: the byte is lost */
	q->data[(q->head + q->count) % PS2_QUEUE] = b;
	q->count++;
}

static uint8_t q_get(struct ps2_queue *q)
{
	uint8_t b = q->data[q->head];
	q->head = (q->head + 1) % PS2_QUEUE;
	q->count--;
	return b;
}

static void kbc_set_irqs(struct i8042 *k)
{
	int kl = k->ob_full && !k->ob_aux && (k->ctr & CTR_KBD_INT);
	int al = k->ob_full && k->ob_aux && (k->ctr & CTR_AUX_INT);
	if (kl != k->irq_kbd_level) {
		k->irq_kbd_level = kl;
		irq_set(&k->irq_kbd, kl);
	}
	if (al != k->irq_aux_level) {
		k->irq_aux_level = al;
		irq_set(&k->irq_aux, al);
	}
}

/* Move the next device byte into an empty output buffer. */
static void kbc_update(struct i8042 *k)
{
	if (!k->ob_full) {
		if (k->kq.count && !(k->ctr & CTR_KBD_DIS)) {
			k->ob = q_get(&k->kq);
			k->ob_full = true;
			k->ob_aux = false;
		} else if (k->mq.count && !(k->ctr & CTR_AUX_DIS)) {
			k->ob = q_get(&k->mq);
			k->ob_full = true;
			k->ob_aux = true;
		}
	}
	kbc_set_irqs(k);
}

/* A byte the controller itself answers with. */
static void kbc_reply(struct i8042 *k, uint8_t b, bool aux)
{
	k->ob = b;
	k->ob_full = true;
	k->ob_aux = aux;
	kbc_set_irqs(k);
}

void i8042_kbd_put(struct i8042 *k, uint8_t b)
{
	q_put(&k->kq, b);
	kbc_update(k);
}

void i8042_aux_put(struct i8042 *k, uint8_t b)
{
	q_put(&k->mq, b);
	kbc_update(k);
}

static void kbc_write_outport(struct i8042 *k, uint8_t v)
{
	k->outport = v;
	pc_set_a20(k->dev.vm, v & OUT_A20);
	if (!(v & OUT_RESET))
		vm_request(k->dev.vm, VM_EVENT_GUEST_RESET);
}

/* --- keyboard ------------------------------------------------------ */

static void kbd_defaults(struct i8042 *k)
{
	k->kbd_set = 2;
	k->kbd_arg_cmd = 0;
}

static void kbd_write(struct i8042 *k, uint8_t v)
{
	struct ps2_queue *q = &k->kq;
	if (k->kbd_arg_cmd) {
		uint8_t cmd = k->kbd_arg_cmd;
		k->kbd_arg_cmd = 0;
		if (cmd == 0xf0 && v == 0) {
			q_put(q, ACK);
			/* with translation on, the controller reports set 2 as 0x41 */
			uint8_t set = k->kbd_set;
			if (k->ctr & CTR_XLATE)
				set = set == 1 ? 0x43 : set == 2 ? 0x41 : 0x3f;
			q_put(q, set);
		} else {
			if (cmd == 0xf0 && v >= 1 && v <= 3)
				k->kbd_set = v;
			q_put(q, ACK);
		}
		kbc_update(k);
		return;
	}
	switch (v) {
	case 0xed: /* set LEDs */
	case 0xf0: /* get/set scan code set */
	case 0xf3: /* typematic rate */
		k->kbd_arg_cmd = v;
		q_put(q, ACK);
		break;
	case 0xee: /* echo */
		q_put(q, 0xee);
		break;
	case 0xf2: /* identify: MF2 keyboard (translated 0x41, raw 0x83) */
		q_put(q, ACK);
		q_put(q, 0xab);
		q_put(q, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xf4:
		k->kbd_scanning = true;
		q_put(q, ACK);
		break;
	case 0xf5: /* disable and restore defaults */
		k->kbd_scanning = false;
		kbd_defaults(k);
		q_put(q, ACK);
		break;
	case 0xf6:
		kbd_defaults(k);
		q_put(q, ACK);
		break;
	case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
		q_put(q, ACK); /* set-3 key types */
		break;
	case 0xff: /* reset: ACK, then BAT passed */
		k->kq.count = 0;
		kbd_defaults(k);
		k->kbd_scanning = true;
		q_put(q, ACK);
		q_put(q, 0xaa);
		break;
	default:
		q_put(q, RESEND);
		break;
	}
	kbc_update(k);
}

/* --- mouse --------------------------------------------------------- */

static void aux_defaults(struct i8042 *k)
{
	k->aux_rate = 100;
	k->aux_res = 2;
	k->aux_scale21 = false;
	k->aux_reporting = false;
	k->aux_remote = false;
}

static void aux_write(struct i8042 *k, uint8_t v)
{
	struct ps2_queue *q = &k->mq;
	if (k->aux_arg_cmd) {
		if (k->aux_arg_cmd == 0xf3)
			k->aux_rate = v;
		else
			k->aux_res = v & 3;
		k->aux_arg_cmd = 0;
		q_put(q, ACK);
		kbc_update(k);
		return;
	}
	if (k->aux_wrap && v != 0xec && v != 0xff) {
		q_put(q, v); /* wrap mode echoes */
		kbc_update(k);
		return;
	}
	switch (v) {
	case 0xe6:
	case 0xe7:
		k->aux_scale21 = v == 0xe7;
		q_put(q, ACK);
		break;
	case 0xe8: /* resolution */
	case 0xf3: /* sample rate */
		k->aux_arg_cmd = v;
		q_put(q, ACK);
		break;
	case 0xe9: /* status request */
		q_put(q, ACK);
		q_put(q, (k->aux_remote ? 0x40 : 0) | (k->aux_reporting ? 0x20 : 0) | (k->aux_scale21 ? 0x10 : 0));
		q_put(q, k->aux_res);
		q_put(q, k->aux_rate);
		break;
	case 0xea:
		k->aux_remote = false;
		q_put(q, ACK);
		break;
	case 0xeb: /* read data: no movement */
		q_put(q, ACK);
		q_put(q, 0x08);
		q_put(q, 0);
		q_put(q, 0);
		break;
	case 0xec:
		k->aux_wrap = false;
		q_put(q, ACK);
		break;
	case 0xee:
		k->aux_wrap = true;
		q_put(q, ACK);
		break;
	case 0xf0:
		k->aux_remote = true;
		q_put(q, ACK);
		break;
	case 0xf2: /* device ID: standard PS/2 mouse */
		q_put(q, ACK);
		q_put(q, 0x00);
		break;
	case 0xf4:
		k->aux_reporting = true;
		q_put(q, ACK);
		break;
	case 0xf5:
		k->aux_reporting = false;
		q_put(q, ACK);
		break;
	case 0xf6:
		aux_defaults(k);
		q_put(q, ACK);
		break;
	case 0xff:
		k->mq.count = 0;
		aux_defaults(k);
		k->aux_wrap = false;
		q_put(q, ACK);
		q_put(q, 0xaa);
		q_put(q, 0x00);
		break;
	default:
		q_put(q, RESEND);
		break;
	}
	kbc_update(k);
}

/* --- controller ---------------------------------------------------- */

static void kbc_command(struct i8042 *k, uint8_t cmd)
{
	struct vm *vm = k->dev.vm;
	k->status |= ST_CMD;
	if (cmd >= 0x20 && cmd <= 0x3f) { /* read controller RAM (0 = command byte) */
		kbc_reply(k, cmd == 0x20 ? k->ctr : 0, false);
		return;
	}
	if (cmd >= 0x60 && cmd <= 0x7f) { /* write controller RAM */
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse output port bits 0-3 low; bit 0 is the reset line. */
		if (!(cmd & 1))
			vm_request(vm, VM_EVENT_GUEST_RESET);
		return;
	}
	switch (cmd) {
	case 0xa7:
		k->ctr |= CTR_AUX_DIS;
		break;
	case 0xa8:
		k->ctr &= ~CTR_AUX_DIS;
		kbc_update(k);
		break;
	case 0xa9: /* auxiliary interface test: no error */
		kbc_reply(k, 0x00, false);
		break;
	case 0xaa: /* self test */
		k->status |= ST_SYS;
		kbc_reply(k, 0x55, false);
		break;
	case 0xab: /* keyboard interface test: no error */
		kbc_reply(k, 0x00, false);
		break;
	case 0xad:
		k->ctr |= CTR_KBD_DIS;
		break;
	case 0xae:
		k->ctr &= ~CTR_KBD_DIS;
		kbc_update(k);
		break;
	case 0xc0: /* read input port */
		kbc_reply(k, 0x00, false);
		break;
	case 0xd0: { /* read output port; bits 4/5 mirror the buffer state */
		uint8_t v = k->outport & ~0x30;
		if (k->ob_full)
			v |= k->ob_aux ? 0x20 : 0x10;
		kbc_reply(k, v, false);
		break;
	}
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending = cmd;
		break;
	case 0xdd: /* A20 off / on (HP Vectra extension, honoured by QEMU) */
	case 0xdf:
		kbc_write_outport(k, (k->outport & ~OUT_A20) | (cmd == 0xdf ? OUT_A20 : 0));
		break;
	case 0xe0: /* read test inputs */
		kbc_reply(k, 0x00, false);
		break;
	default:
		vm_log(vm, VM_LOG_GUEST_ERRORS, "i8042: unsupported controller command 0x%02x\n", cmd);
		break;
	}
}

static void kbc_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	k->status &= ~ST_CMD;
	switch (cmd) {
	case 0:
		kbd_write(k, v);
		break;
	case 0x60:
		k->ctr = v;
		if (v & CTR_SYS)
			k->status |= ST_SYS;
		else
			k->status &= ~ST_SYS;
		kbc_update(k);
		break;
	case 0xd1:
		kbc_write_outport(k, v);
		break;
	case 0xd2:
		kbc_reply(k, v, false);
		break;
	case 0xd3:
		kbc_reply(k, v, true);
		break;
	case 0xd4:
		aux_write(k, v);
		break;
	default:
		break; /* controller RAM 0x61-0x7f: not kept */
	}
}

static uint64_t kbc_status_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t st = k->status | ST_UNLOCKED;
	if (k->ob_full)
		st |= ST_OBF | (k->ob_aux ? ST_AUX_OBF : 0);
	return st;
}

static uint64_t kbc_data_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v = k->ob;
	k->ob_full = false;
	/* Drop the IRQ line before the next byte raises it again: the 8042's
	 * IRQ1/IRQ12 are edge-triggered, and a line that stays high would
	 * make the guest miss every byte queued behind this one. */
	kbc_set_irqs(k);
	kbc_update(k);
	return v;
}

static void kbc_cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	kbc_command(opaque, val);
}

static void kbc_data_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	kbc_data(opaque, val);
}

static const struct io_ops kbc_data_ops = { kbc_data_read, kbc_data_write, 1, 1 };
static const struct io_ops kbc_cmd_ops = { kbc_status_read, kbc_cmd_write, 1, 1 };

static void i8042_reset(struct device *d)
{
	struct i8042 *k = (struct i8042 *)d;
	k->status = ST_CMD;
	/* Command byte as QEMU's BIOS (SeaBIOS) leaves it: keyboard
	 * interrupt, scan code translation, AUX port disabled; the self
	 * test it ran set the system flag. */
	k->ctr = CTR_KBD_INT | CTR_AUX_DIS | CTR_XLATE;
	k->status |= ST_SYS;
	k->outport = 0xcf; /* reset line high, A20 on, unused bits high */
	pc_set_a20(d->vm, 1);
	k->ob = 0;
	k->ob_full = k->ob_aux = false;
	k->pending = 0;
	k->kq.count = k->kq.head = 0;
	k->mq.count = k->mq.head = 0;
	kbd_defaults(k);
	k->kbd_scanning = true;
	aux_defaults(k);
	k->aux_arg_cmd = 0;
	k->aux_wrap = false;
	kbc_set_irqs(k);
}

static int i8042_realize(struct device *d, struct error **errp)
{
	struct i8042 *k = (struct i8042 *)d;
	struct vm *vm = d->vm;
	k->irq_kbd = vm->gsi[1];
	k->irq_aux = vm->gsi[12];
	if (!pio_add(vm, "i8042-data", 0x60, 1, &kbc_data_ops, k) ||
	    !pio_add(vm, "i8042-cmd", 0x64, 1, &kbc_cmd_ops, k)) {
		error_setg(errp, "i8042: I/O ports 0x60/0x64 already in use");
		return -1;
	}
	i8042_reset(d);
	return 0;
}

static const struct prop i8042_props[] = { PROP_END };

const struct device_class i8042_class = {
	.name = "i8042",
	.desc = "PS/2 keyboard and mouse controller",
	.bus = "isa",
	.size = sizeof(struct i8042),
	.props = i8042_props,
	.realize = i8042_realize,
	.reset = i8042_reset,
};
