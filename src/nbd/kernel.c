/*
 * lemu-nbd -c /dev/nbdN: attach an export to the Linux kernel's NBD client.
 *
 * The kernel speaks only the transmission phase, so the handshake is done here over
 * a socket pair: this file plays a minimal client (fixed newstyle, NBD_OPT_EXPORT_NAME),
 * the server serves the other end on a thread, and the negotiated socket, size and
 * flags go to the kernel with the ioctls of <linux/nbd.h>.  NBD_DO_IT then blocks
 * until the device is disconnected (lemu-nbd -d, or nbd-client -d).
 */
#include "nbd/nbd-int.h"
#include "nbd/nbd-proto.h"
#include "nbd/client.h"
#include "nbd/kernel.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ioctls of <linux/nbd.h>; that header's NBD_CMD_* names clash with nbd-proto.h. */
#define LK_NBD_SET_SOCK _IO(0xab, 0)
#define LK_NBD_SET_BLKSIZE _IO(0xab, 1)
#define LK_NBD_DO_IT _IO(0xab, 3)
#define LK_NBD_CLEAR_SOCK _IO(0xab, 4)
#define LK_NBD_CLEAR_QUE _IO(0xab, 5)
#define LK_NBD_SET_SIZE_BLOCKS _IO(0xab, 7)
#define LK_NBD_DISCONNECT _IO(0xab, 8)
#define LK_NBD_SET_FLAGS _IO(0xab, 10)

int nbd_kernel_available(void)
{
	struct stat st;
	return stat("/sys/module/nbd", &st) == 0;
}

struct serve_arg {
	struct nbd_server *s;
	int fd;
};

static void *serve_thread(void *p)
{
	struct serve_arg *a = p;
	struct nbd_chan *ch = nbd_chan_new_fd(a->fd);
	if (ch)
		nbd_server_serve_chan(a->s, ch);
	else
		close(a->fd);
	return NULL;
}

/* The client half of the handshake; on success *size and *flags describe the export. */
static int client_handshake(int fd, const char *name, uint64_t *size, uint16_t *flags)
{
	struct nbd_chan *ch = nbd_chan_new_fd(dup(fd));
	uint8_t opt[NBD_OPT_HEADER_SIZE], rep[10];
	int r;
	if (!ch)
		return -ENOMEM;
	size_t nl = strlen(name);
	if ((r = nbd_client_hello(ch, NULL)) < 0)
		goto out;
	nbd_put64(opt, NBD_OPTS_MAGIC);
	nbd_put32(opt + 8, NBD_OPT_EXPORT_NAME);
	nbd_put32(opt + 12, (uint32_t)nl);
	struct iovec iov[2] = { { opt, sizeof(opt) }, { (void *)name, nl } };
	if ((r = nbd_chan_writev(ch, iov, 2)) < 0)
		goto out;
	/* our server offers NO_ZEROES, which nbd_client_hello accepted: 10 bytes */
	if ((r = nbd_chan_read(ch, rep, sizeof(rep))) < 0)
		goto out;
	*size = nbd_get64(rep);
	*flags = nbd_get16(rep + 8);
out:
	ch->ops->free(ch);
	return r;
}

int nbd_kernel_connect(struct nbd_server *s, const char *dev, const char *export_name,
                       struct error **errp)
{
	int sp[2], dfd, r = -1;
	pthread_t t;
	uint64_t size;
	uint16_t flags;

	if (!nbd_kernel_available()) {
		error_setg(errp,
		           "Failed to open %s: the nbd kernel module is not loaded "
		           "(/sys/module/nbd does not exist; try 'modprobe nbd')",
		           dev);
		return -1;
	}
	dfd = open(dev, O_RDWR | O_CLOEXEC);
	if (dfd < 0) {
		error_setg_errno(errp, errno, "Failed to open %s", dev);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		error_setg_errno(errp, errno, "Failed to create a socket pair");
		close(dfd);
		return -1;
	}
	struct serve_arg a = { .s = s, .fd = sp[0] };
	if (pthread_create(&t, NULL, serve_thread, &a) != 0) {
		error_setg(errp, "Failed to start the server thread");
		close(sp[0]);
		close(sp[1]);
		close(dfd);
		return -1;
	}
	if (client_handshake(sp[1], export_name, &size, &flags) < 0) {
		error_setg(errp, "Failed to negotiate with the export");
		goto out;
	}
	if (ioctl(dfd, LK_NBD_SET_BLKSIZE, 512UL) < 0 ||
	    ioctl(dfd, LK_NBD_SET_SIZE_BLOCKS, (unsigned long)(size / 512)) < 0) {
		error_setg_errno(errp, errno, "Failed setting size");
		goto out;
	}
	if (ioctl(dfd, LK_NBD_SET_FLAGS, (unsigned long)flags) < 0 && errno != ENOTTY) {
		error_setg_errno(errp, errno, "Failed setting flags");
		goto out;
	}
	if (ioctl(dfd, LK_NBD_SET_SOCK, (unsigned long)sp[1]) < 0) {
		error_setg_errno(errp, errno, "Failed to set NBD socket");
		goto out;
	}
	/* Blocks until the device is disconnected. */
	if (ioctl(dfd, LK_NBD_DO_IT) < 0 && errno != EPIPE && errno != EBUSY) {
		error_setg_errno(errp, errno, "LK_NBD_DO_IT failed");
		ioctl(dfd, LK_NBD_CLEAR_SOCK);
		goto out;
	}
	ioctl(dfd, LK_NBD_CLEAR_QUE);
	ioctl(dfd, LK_NBD_CLEAR_SOCK);
	r = 0;
out:
	shutdown(sp[1], SHUT_RDWR);
	pthread_join(t, NULL);
	close(sp[1]);
	close(dfd);
	return r;
}

int nbd_kernel_disconnect(const char *dev, struct error **errp)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Cannot open %s", dev);
		return -1;
	}
	ioctl(fd, LK_NBD_CLEAR_QUE);
	ioctl(fd, LK_NBD_DISCONNECT);
	ioctl(fd, LK_NBD_CLEAR_SOCK);
	close(fd);
	return 0;
}
