/*
 * The Linux kernel NBD client (/dev/nbdN), for lemu-nbd -c / -d.
 */
#ifndef LEMU_NBD_KERNEL_H
#define LEMU_NBD_KERNEL_H

struct nbd_server;
struct error;

/* 1 when the nbd module is loaded (/sys/module/nbd exists). */
int nbd_kernel_available(void);
/* Serve the server's export named export_name on dev until it is disconnected.
 * Returns 0, or -1 with a message. */
int nbd_kernel_connect(struct nbd_server *s, const char *dev, const char *export_name,
                       struct error **errp);
int nbd_kernel_disconnect(const char *dev, struct error **errp);

#endif
