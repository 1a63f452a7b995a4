/*
 * virtio-serial (virtio console with VIRTIO_CONSOLE_F_MULTIPORT, virtio 1.2
 * §5.3) as virtio-serial-pci, and its ports: virtconsole (a hvc console in
 * the guest) and virtserialport (a named /dev/vportNpM, the channel a guest
 * agent uses), each backed by a -chardev.
 *
 * Queues (§5.3.2): port 0 receive/transmit are 0/1, the control queues 2/3,
 * port n >= 1 uses 2n+2 / 2n+3.  The control protocol (§5.3.6.2): the
 * driver says DEVICE_READY, we announce each port (DEVICE_ADD), the driver
 * answers PORT_READY, we tell it the port's role (CONSOLE_PORT), its name
 * (PORT_NAME) and whether the host side is connected (PORT_OPEN); the
 * driver's own PORT_OPEN says when a guest program has the port open.
 *
 * Host -> guest data uses the chardev's flow control: can_receive offers
 * exactly the space of the receive buffers the driver has queued, and a
 * driver kick on a receive queue asks the chardev for more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "hw/virtio/virtio_pci.h"
#include "util/error.h"

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define CFG_EMERG_WR 8

/* Control events (§5.3.6.2). */
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

#define VSER_MAX_PORTS 31 /* QEMU's default and our maximum */
#define VSER_PORT_AUTO 0xffffffffu
#define VSER_CTRL_PENDING_MAX 256
#define VSER_QUEUE_SIZE 128
#define VSER_CTRL_QUEUE_SIZE 32
#define CTRL_RXQ 2
#define CTRL_TXQ 3

struct virtio_serial;

struct vser_port {
	struct device dev; /* first */
	/* properties */
	struct chardev *chr;
	char *name;
	uint32_t nr;
	char *bus;
	/* state */
	bool is_console;
	struct virtio_serial *vser;
	uint32_t id;
	bool guest_connected, host_connected;
	bool attached;
};

struct ctrl_msg {
	struct ctrl_msg *next;
	size_t len;
	uint8_t data[];
};

struct virtio_serial {
	struct virtio_device vdev;
	struct vm *vm;
	uint32_t max_ports;
	struct vser_port *ports[VSER_MAX_PORTS];
	struct ctrl_msg *pending, **pending_tail;
	unsigned npending;
};

struct virtio_serial_pci {
	struct virtio_pci vp;
	struct virtio_serial vser;
};

static unsigned rxq_of(uint32_t id)
{
	return id ? 2 + 2 * id : 0;
}

/* ---- control messages -------------------------------------------- */

static void ctrl_flush(struct virtio_serial *vs)
{
	struct virtqueue *vq = &vs->vdev.vqs[CTRL_RXQ];
	bool used = false;
	while (vs->pending) {
		struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e));
		if (!e)
			break;
		struct ctrl_msg *m = vs->pending;
		size_t n = iov_from_buf(e->in, e->in_num, 0, m->data, m->len);
		virtqueue_push(vq, e, (uint32_t)n);
		free(e);
		used = true;
		vs->pending = m->next;
		if (!vs->pending)
			vs->pending_tail = &vs->pending;
		vs->npending--;
		free(m);
	}
	if (used)
		virtqueue_notify(vq);
}

static void ctrl_send(struct virtio_serial *vs, uint32_t id, uint16_t event, uint16_t value,
                      const char *extra)
{
	size_t xl = extra ? strlen(extra) : 0;
	if (vs->npending >= VSER_CTRL_PENDING_MAX) {
		/* A driver that queues no control buffers loses messages. */
		vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
		       "virtio-serial: control queue full, event %u dropped\n", event);
		return;
	}
	struct ctrl_msg *m = malloc(sizeof(*m) + 8 + xl);
	if (!m)
		return;
	m->next = NULL;
	m->len = 8 + xl;
	memcpy(m->data, &id, 4);
	memcpy(m->data + 4, &event, 2);
	memcpy(m->data + 6, &value, 2);
	if (xl)
		memcpy(m->data + 8, extra, xl);
	*vs->pending_tail = m;
	vs->pending_tail = &m->next;
	vs->npending++;
	ctrl_flush(vs);
}

static void ctrl_drop(struct virtio_serial *vs)
{
	while (vs->pending) {
		struct ctrl_msg *m = vs->pending;
		vs->pending = m->next;
		free(m);
	}
	vs->pending_tail = &vs->pending;
	vs->npending = 0;
}

static void port_announce(struct virtio_serial *vs, struct vser_port *p)
{
	if (p->is_console)
		ctrl_send(vs, p->id, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
	if (p->name)
		ctrl_send(vs, p->id, VIRTIO_CONSOLE_PORT_NAME, 1, p->name);
	if (p->host_connected)
		ctrl_send(vs, p->id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
}

static void ctrl_handle(struct virtio_serial *vs, const uint8_t *msg)
{
	uint32_t id;
	uint16_t event, value;
	memcpy(&id, msg, 4);
	memcpy(&event, msg + 4, 2);
	memcpy(&value, msg + 6, 2);
	if (event == VIRTIO_CONSOLE_DEVICE_READY) {
		if (!value) {
			vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-serial: the driver failed to initialise\n");
			return;
		}
		for (uint32_t i = 0; i < vs->max_ports; i++)
			if (vs->ports[i])
				ctrl_send(vs, i, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
		return;
	}
	struct vser_port *p = id < vs->max_ports ? vs->ports[id] : NULL;
	if (!p) {
		vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
		       "virtio-serial: control event %u for unknown port %u\n", event, id);
		return;
	}
	switch (event) {
	case VIRTIO_CONSOLE_PORT_READY:
		if (value)
			port_announce(vs, p);
		else
			vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-serial: the driver could not add port %u\n", id);
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		p->guest_connected = value != 0;
		if (p->guest_connected && p->chr)
			chardev_accept_input(p->chr);
		break;
	default:
		vm_log(vs->vm, VM_LOG_GUEST_ERRORS, "virtio-serial: unexpected control event %u\n",
		       event);
	}
}

static void ctrl_tx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_serial *vs = (struct virtio_serial *)vdev;
	struct virtq_elem *e;
	bool used = false;
	while ((e = virtqueue_pop(vq, sizeof(*e)))) {
		uint8_t msg[8];
		if (iov_to_buf(e->out, e->out_num, 0, msg, sizeof(msg)) == sizeof(msg))
			ctrl_handle(vs, msg);
		else
			vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-serial: short control message\n");
		virtqueue_push(vq, e, 0);
		free(e);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

static void ctrl_rx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	(void)vq;
	ctrl_flush((struct virtio_serial *)vdev);
}

/* ---- data -------------------------------------------------------- */

static struct vser_port *port_of_queue(struct virtio_serial *vs, unsigned q)
{
	uint32_t id = q < 2 ? 0 : (q - 2) / 2;
	return id < vs->max_ports ? vs->ports[id] : NULL;
}

static void tx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_serial *vs = (struct virtio_serial *)vdev;
	struct vser_port *p = port_of_queue(vs, vq->index);
	struct virtq_elem *e;
	bool used = false;
	while ((e = virtqueue_pop(vq, sizeof(*e)))) {
		/* Output to a port nobody listens to is discarded, as QEMU. */
		if (p && p->chr)
			for (unsigned i = 0; i < e->out_num; i++)
				chardev_write(p->chr, e->out[i].iov_base, e->out[i].iov_len);
		virtqueue_push(vq, e, 0);
		free(e);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

static void rx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct vser_port *p = port_of_queue((struct virtio_serial *)vdev, vq->index);
	/* New receive buffers: the backend may send again. */
	if (p && p->chr)
		chardev_accept_input(p->chr);
}

static size_t port_can_receive(void *opaque)
{
	struct vser_port *p = opaque;
	struct virtio_serial *vs = p->vser;
	if (!vs || !p->guest_connected)
		return 0;
	return (size_t)virtqueue_avail_bytes(&vs->vdev.vqs[rxq_of(p->id)], 65536);
}

static void port_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct vser_port *p = opaque;
	struct virtio_serial *vs = p->vser;
	if (!vs)
		return;
	struct virtqueue *vq = &vs->vdev.vqs[rxq_of(p->id)];
	bool used = false;
	while (len) {
		struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e));
		if (!e) {
			/* More than can_receive allowed: the rest is lost. */
			vm_log(vs->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-serial: port %u: %zu bytes dropped\n", p->id, len);
			break;
		}
		size_t n = iov_from_buf(e->in, e->in_num, 0, buf, len);
		virtqueue_push(vq, e, (uint32_t)n);
		free(e);
		buf += n;
		len -= n;
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

static void port_event(void *opaque, enum chardev_event ev)
{
	struct vser_port *p = opaque;
	bool open;
	if (ev == CHR_EVENT_OPENED)
		open = true;
	else if (ev == CHR_EVENT_CLOSED)
		open = false;
	else
		return;
	if (p->host_connected == open)
		return;
	p->host_connected = open;
	struct virtio_serial *vs = p->vser;
	if (vs && (vs->vdev.status & VIRTIO_STATUS_DRIVER_OK))
		ctrl_send(vs, p->id, VIRTIO_CONSOLE_PORT_OPEN, open, NULL);
}

/* ---- virtio-serial device ---------------------------------------- */

static void vser_reset(struct virtio_device *vdev)
{
	struct virtio_serial *vs = (struct virtio_serial *)vdev;
	ctrl_drop(vs);
	for (uint32_t i = 0; i < vs->max_ports; i++)
		if (vs->ports[i])
			vs->ports[i]->guest_connected = false;
}

/* §5.3.4: a write to emerg_wr outputs one character on port 0, usable
 * before the driver has set up any queue. */
static void vser_set_config(struct virtio_device *vdev, uint32_t off, uint32_t len)
{
	struct virtio_serial *vs = (struct virtio_serial *)vdev;
	if (off > CFG_EMERG_WR || off + len <= CFG_EMERG_WR)
		return;
	uint8_t ch = vdev->config[CFG_EMERG_WR];
	memset(vdev->config + CFG_EMERG_WR, 0, 4);
	if (virtio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE) && vs->ports[0] &&
	    vs->ports[0]->chr)
		chardev_write(vs->ports[0]->chr, &ch, 1);
}

static const struct virtio_device_ops vser_ops = {
	.set_config = vser_set_config,
	.reset = vser_reset,
};

static int vser_pci_realize(struct device *d, struct error **errp)
{
	struct virtio_serial_pci *p = (struct virtio_serial_pci *)d;
	struct virtio_serial *vs = &p->vser;
	vs->vm = d->vm;
	if (!vs->max_ports || vs->max_ports > VSER_MAX_PORTS) {
		error_setg(errp, "maximum ports supported: %u", VSER_MAX_PORTS);
		return -1;
	}
	unsigned nvqs = 2 * (vs->max_ports + 1);
	if (virtio_init(&vs->vdev, "virtio-serial", VIRTIO_ID_CONSOLE, 12, nvqs) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	vs->vdev.ops = &vser_ops;
	vs->pending_tail = &vs->pending;
	for (unsigned q = 0; q < nvqs; q++) {
		virtqueue_handler *h = q == CTRL_RXQ ? ctrl_rx_handle :
		                       q == CTRL_TXQ ? ctrl_tx_handle :
		                       (q & 1)       ? tx_handle :
		                                       rx_handle;
		virtio_set_queue(
		        &vs->vdev, q,
		        q == CTRL_RXQ || q == CTRL_TXQ ? VSER_CTRL_QUEUE_SIZE : VSER_QUEUE_SIZE, h);
	}
	vs->vdev.host_features |=
	        VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT) | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
	/* config: cols, rows, max_nr_ports, emerg_wr (§5.3.4) */
	memcpy(vs->vdev.config + 4, &vs->max_ports, 4);
	/* PCI_CLASS_COMMUNICATION_OTHER, as QEMU. */
	if (virtio_pci_realize(&p->vp, &vs->vdev, 0x078000, 2, errp) < 0) {
		virtio_cleanup(&vs->vdev);
		return -1;
	}
	return 0;
}

static void vser_pci_reset(struct device *d)
{
	struct virtio_serial_pci *p = (struct virtio_serial_pci *)d;
	virtio_pci_reset(&p->vp);
}

static void vser_pci_unrealize(struct device *d)
{
	struct virtio_serial_pci *p = (struct virtio_serial_pci *)d;
	struct virtio_serial *vs = &p->vser;
	for (uint32_t i = 0; i < VSER_MAX_PORTS; i++)
		if (vs->ports[i])
			vs->ports[i]->vser = NULL;
	ctrl_drop(vs);
	virtio_pci_unrealize(&p->vp);
	virtio_cleanup(&vs->vdev);
}

static const struct prop vser_pci_props[] = {
	VIRTIO_PCI_PROPS,
	{ "max_ports", PROP_U32, offsetof(struct virtio_serial_pci, vser.max_ports), "31",
	  "maximum number of ports" },
	PROP_END,
};

/* The class under QEMU's four names (see virtio_pci.h). */
#define VIRTIO_SERIAL_PCI_CLASS(n, b)                                                                  \
	{                                                                                              \
		.name = n,                                                                             \
		.desc = "Virtio serial device (virtio-serial-bus for virtconsole and virtserialport)", \
		.bus = b, .size = sizeof(struct virtio_serial_pci), .props = vser_pci_props,           \
		.user_creatable = true, .realize = vser_pci_realize, .reset = vser_pci_reset,          \
		.unrealize = vser_pci_unrealize,                                                       \
	}
const struct device_class virtio_serial_pci_class =
        VIRTIO_SERIAL_PCI_CLASS("virtio-serial-pci", "pci");
const struct device_class virtio_serial_pci_class_transitional =
        VIRTIO_SERIAL_PCI_CLASS("virtio-serial-pci-transitional", "pci");
const struct device_class virtio_serial_pci_class_non_transitional =
        VIRTIO_SERIAL_PCI_CLASS("virtio-serial-pci-non-transitional", "pci");
const struct device_class virtio_serial_pci_class_alias =
        VIRTIO_SERIAL_PCI_CLASS("virtio-serial", NULL);

/* ---- ports --------------------------------------------------------- */

/* The bus a port plugs into: bus=ID.0 names a virtio-serial device,
 * otherwise the one created last (QEMU's choice of the free bus). */
static struct virtio_serial *find_bus(struct vm *vm, const char *bus, struct error **errp)
{
	struct virtio_serial *found = NULL;
	size_t bl = 0;
	if (bus) {
		const char *dot = strrchr(bus, '.');
		bl = dot ? (size_t)(dot - bus) : strlen(bus);
	}
	for (struct device *d = vm->devices; d; d = d->next) {
		if (d->cls->realize != vser_pci_realize)
			continue;
		if (bus && !(d->id && strlen(d->id) == bl && !strncmp(d->id, bus, bl)))
			continue;
		found = &((struct virtio_serial_pci *)d)->vser;
	}
	if (!found && bus)
		error_setg(errp, "Bus '%s' not found", bus);
	else if (!found)
		error_setg(errp, "No 'virtio-serial-bus' bus found for device");
	return found;
}

static int port_realize(struct device *d, struct error **errp)
{
	struct vser_port *p = (struct vser_port *)d;
	p->is_console = !strcmp(d->cls->name, "virtconsole");
	struct virtio_serial *vs = find_bus(d->vm, p->bus, errp);
	if (!vs)
		return -1;
	uint32_t id = p->nr;
	if (id == VSER_PORT_AUTO) {
		/* Port 0 is kept for a console, for the benefit of old guests. */
		for (id = p->is_console ? 0 : 1; id < vs->max_ports && vs->ports[id]; id++)
			;
		if (id >= vs->max_ports) {
			error_setg(errp,
			           "virtio-serial-bus: Maximum port limit for this device reached");
			return -1;
		}
	} else if (id >= vs->max_ports) {
		error_setg(errp,
		           "virtio-serial-bus: Out-of-range port id specified, max. allowed: %u",
		           vs->max_ports - 1);
		return -1;
	} else if (vs->ports[id]) {
		error_setg(errp, "virtio-serial-bus: A port already exists at id %u", id);
		return -1;
	}
	if (id == 0 && !p->is_console) {
		error_setg(
		        errp,
		        "Port number 0 on virtio-serial devices reserved for virtconsole devices for backward "
		        "compatibility.");
		return -1;
	}
	if (p->name)
		for (uint32_t i = 0; i < vs->max_ports; i++)
			if (vs->ports[i] && vs->ports[i]->name &&
			    !strcmp(vs->ports[i]->name, p->name)) {
				error_setg(errp,
				           "virtio-serial-bus: A port already exists by name %s",
				           p->name);
				return -1;
			}
	p->id = id;
	p->vser = vs;
	/* Without a chardev the host side is never connected. */
	p->host_connected = false;
	if (p->chr) {
		const struct chardev_fe fe = {
			.can_receive = port_can_receive,
			.receive = port_receive,
			.event = port_event,
			.opaque = p,
		};
		if (chardev_attach(p->chr, &fe, errp) < 0)
			return -1;
		p->attached = true;
	}
	vs->ports[id] = p;
	return 0;
}

static void port_unrealize(struct device *d)
{
	struct vser_port *p = (struct vser_port *)d;
	if (p->attached)
		chardev_detach(p->chr, p);
	if (p->vser && p->vser->ports[p->id] == p)
		p->vser->ports[p->id] = NULL;
	p->vser = NULL;
}

bool virtio_serial_port_of(const struct device *d, const struct device *bus_dev)
{
	if (d->cls->realize != port_realize || bus_dev->cls->realize != vser_pci_realize)
		return false;
	const struct vser_port *p = (const struct vser_port *)d;
	return p->vser == &((const struct virtio_serial_pci *)bus_dev)->vser;
}

static const struct prop port_props[] = {
	{ "chardev", PROP_CHARDEV, offsetof(struct vser_port, chr), NULL,
	  "ID of a chardev to use as a backend" },
	{ "name", PROP_STR, offsetof(struct vser_port, name), NULL, "port name seen by the guest" },
	{ "nr", PROP_U32, offsetof(struct vser_port, nr), "4294967295", "port number" },
	{ "bus", PROP_STR, offsetof(struct vser_port, bus), NULL, "virtio-serial bus (ID.0)" },
	PROP_END,
};

const struct device_class virtconsole_class = {
	.name = "virtconsole",
	.desc = "Virtio console port (hvc in the guest)",
	.bus = "virtio-serial-bus",
	.size = sizeof(struct vser_port),
	.props = port_props,
	.user_creatable = true,
	.realize = port_realize,
	.unrealize = port_unrealize,
};

const struct device_class virtserialport_class = {
	.name = "virtserialport",
	.desc = "Virtio serial port (/dev/vportNpM in the guest)",
	.bus = "virtio-serial-bus",
	.size = sizeof(struct vser_port),
	.props = port_props,
	.user_creatable = true,
	.realize = port_realize,
	.unrealize = port_unrealize,
};
