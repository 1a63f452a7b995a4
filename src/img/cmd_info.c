/*
 * lemu-img info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename
 * and the snapshot table shared with "snapshot -l".
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void img_print_snapshot_table(struct img *img, const struct blk_snapshot *sn, int n)
{
	fprintf(img->out, "Snapshot list:\n");
	fprintf(img->out, "%-9s %-17s %7s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
		"VM CLOCK", "ICOUNT");
	for (int i = 0; i < n; i++) {
		char vmsize[32], date[64], clock[64], icount[32] = "";
		struct tm tm;
		time_t t = sn[i].date_sec;
		img_size_to_str(sn[i].vm_state_size, vmsize, sizeof(vmsize));
		if (localtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		else
			snprintf(date, sizeof(date), "%u", sn[i].date_sec);
		uint64_t ms = sn[i].vm_clock_nsec / 1000000;
		snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
			 ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000);
		if (sn[i].has_icount && sn[i].icount != UINT64_MAX)
			snprintf(icount, sizeof(icount), "%" PRIu64, sn[i].icount);
		fprintf(img->out, "%-9s %-17s %7s%20s%13s%11s\n", sn[i].id, sn[i].name, vmsize, date,
			clock, icount);
	}
}

static void info_snapshot_json(struct jw *w, const struct blk_snapshot *sn)
{
	jw_obj_begin(w);
	if (sn->has_icount && sn->icount != UINT64_MAX)
		jw_kuint(w, "icount", sn->icount);
	jw_kuint(w, "vm-clock-nsec", sn->vm_clock_nsec % 1000000000ULL);
	jw_kstr(w, "name", sn->name);
	jw_kuint(w, "date-sec", sn->date_sec);
	jw_kuint(w, "date-nsec", sn->date_nsec);
	jw_kuint(w, "vm-clock-sec", sn->vm_clock_nsec / 1000000000ULL);
	jw_kstr(w, "id", sn->id);
	jw_kuint(w, "vm-state-size", sn->vm_state_size);
	jw_obj_end(w);
}

static bool info_v3(const struct blk_image_info *in)
{
	return in->qcow2.compat && strcmp(in->qcow2.compat, "0.10");
}

static void info_json(struct jw *w, const struct blk_image_info *in)
{
	jw_obj_begin(w);
	if (in->nb_snapshots > 0) {
		jw_key(w, "snapshots");
		jw_arr_begin(w);
		for (int i = 0; i < in->nb_snapshots; i++)
			info_snapshot_json(w, &in->snapshots[i]);
		jw_arr_end(w);
	}
	if (in->backing_filename && in->backing_format)
		jw_kstr(w, "backing-filename-format", in->backing_format);
	jw_kint(w, "virtual-size", in->virtual_size);
	jw_kstr(w, "filename", in->filename);
	if (in->cluster_size > 0)
		jw_kint(w, "cluster-size", in->cluster_size);
	jw_kstr(w, "format", in->format);
	if (in->actual_size >= 0)
		jw_kint(w, "actual-size", in->actual_size);
	if (in->encrypted)
		jw_kbool(w, "encrypted", true);
	if (in->has_qcow2) {
		jw_key(w, "format-specific");
		jw_obj_begin(w);
		jw_kstr(w, "type", "qcow2");
		jw_key(w, "data");
		jw_obj_begin(w);
		jw_kstr(w, "compat", in->qcow2.compat ? in->qcow2.compat : "1.1");
		if (in->qcow2.data_file)
			jw_kstr(w, "data-file", in->qcow2.data_file);
		jw_kstr(w, "compression-type",
			in->qcow2.compression_type ? in->qcow2.compression_type : "zlib");
		if (info_v3(in))
			jw_kbool(w, "lazy-refcounts", in->qcow2.lazy_refcounts);
		jw_kint(w, "refcount-bits", in->qcow2.refcount_bits);
		if (info_v3(in)) {
			jw_kbool(w, "corrupt", in->qcow2.corrupt);
			jw_kbool(w, "extended-l2", in->qcow2.extended_l2);
		}
		jw_obj_end(w);
		jw_obj_end(w);
	}
	if (in->backing_filename) {
		if (in->full_backing_filename)
			jw_kstr(w, "full-backing-filename", in->full_backing_filename);
		jw_kstr(w, "backing-filename", in->backing_filename);
	}
	/* qemu-img prints the flag for every format (false where there is none). */
	jw_kbool(w, "dirty-flag", in->dirty_flag);
	jw_obj_end(w);
}

static void info_human(struct img *img, const struct blk_image_info *in)
{
	FILE *o = img->out;
	char buf[64];
	fprintf(o, "image: %s\n", in->filename);
	fprintf(o, "file format: %s\n", in->format);
	img_size_to_str((uint64_t)in->virtual_size, buf, sizeof(buf));
	fprintf(o, "virtual size: %s (%" PRId64 " bytes)\n", buf, in->virtual_size);
	if (in->actual_size >= 0) {
		img_size_to_str((uint64_t)in->actual_size, buf, sizeof(buf));
		fprintf(o, "disk size: %s\n", buf);
	} else {
		fprintf(o, "disk size: unavailable\n");
	}
	if (in->cluster_size > 0)
		fprintf(o, "cluster_size: %" PRId64 "\n", in->cluster_size);
	if (in->encrypted)
		fprintf(o, "encrypted: yes\n");
	if (in->dirty_flag)
		fprintf(o, "cleanly shut down: no\n");
	if (in->backing_filename) {
		fprintf(o, "backing file: %s", in->backing_filename);
		if (in->full_backing_filename && strcmp(in->full_backing_filename, in->backing_filename))
			fprintf(o, " (actual path: %s)", in->full_backing_filename);
		fputc('\n', o);
		if (in->backing_format)
			fprintf(o, "backing file format: %s\n", in->backing_format);
	}
	if (in->nb_snapshots > 0)
		img_print_snapshot_table(img, in->snapshots, in->nb_snapshots);
	if (in->has_qcow2) {
		fprintf(o, "Format specific information:\n");
		fprintf(o, "    compat: %s\n", in->qcow2.compat ? in->qcow2.compat : "1.1");
		if (in->qcow2.data_file)
			fprintf(o, "    data file: %s\n", in->qcow2.data_file);
		fprintf(o, "    compression type: %s\n",
			in->qcow2.compression_type ? in->qcow2.compression_type : "zlib");
		if (info_v3(in))
			fprintf(o, "    lazy refcounts: %s\n", in->qcow2.lazy_refcounts ? "true" : "false");
		fprintf(o, "    refcount bits: %d\n", in->qcow2.refcount_bits);
		if (info_v3(in)) {
			fprintf(o, "    corrupt: %s\n", in->qcow2.corrupt ? "true" : "false");
			fprintf(o, "    extended l2: %s\n", in->qcow2.extended_l2 ? "true" : "false");
		}
	}
}

int img_cmd_info(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "backing-chain", no_argument, NULL, 'b' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL;
	enum img_output output = IMG_OUT_HUMAN;
	bool chain = false, force_share = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":f:hU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'U': force_share = true; break;
		case 'b': chain = true; break;
		case 'o':
			if (img_parse_output(img, optarg, &output) < 0)
				return 1;
			break;
		case 'j':
		case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");

	/* Like qemu-img, print nothing unless the whole chain could be read. */
	char *obuf = NULL;
	size_t olen = 0;
	FILE *real_out = img->out;
	FILE *mem = open_memstream(&obuf, &olen);
	if (!mem) {
		img_error(img, "%s", strerror(ENOMEM));
		return 1;
	}
	img->out = mem;
	struct jw w;
	jw_init(&w, img->out);
	if (chain && output == IMG_OUT_JSON)
		jw_arr_begin(&w);

	char *name = strdup(argv[optind]);
	char *seen[64];
	int nseen = 0, ret = 0;
	const char *cur_fmt = fmt;
	char *cur_fmt_buf = NULL;
	while (name) {
		for (int i = 0; i < nseen; i++) {
			if (!strcmp(seen[i], name)) {
				img_error(img, "Backing file '%s' creates an infinite loop.", name);
				free(name);
				name = NULL;
				ret = 1;
				goto done;
			}
		}
		struct img_open_req req = { .fmt = cur_fmt, .flags = BLK_OPEN_NO_BACKING | BLK_OPEN_NO_IO,
					    .force_share = force_share };
		struct blk_node *node = img_open(img, name, &req);
		if (!node) {
			free(name);
			name = NULL;
			ret = 1;
			break;
		}
		struct blk_image_info in;
		memset(&in, 0, sizeof(in));
		int r = blk_get_info(node, &in);
		if (r < 0) {
			img_error(img, "Could not get information about '%s': %s", name, strerror(-r));
			blk_close(node);
			free(name);
			name = NULL;
			ret = 1;
			break;
		}
		/* qemu-img shows the name as given on the command line. */
		in.filename = name;
		char *full = NULL;
		if (in.backing_filename && !in.full_backing_filename) {
			full = img_backing_path(name, in.backing_filename);
			in.full_backing_filename = full;
		}
		if (output == IMG_OUT_JSON) {
			info_json(&w, &in);
		} else {
			if (nseen)
				fputc('\n', img->out);
			info_human(img, &in);
		}
		char *next = NULL;
		free(cur_fmt_buf);
		cur_fmt_buf = NULL;
		if (chain && in.backing_filename) {
			next = strdup(in.full_backing_filename ? in.full_backing_filename
							      : in.backing_filename);
			cur_fmt_buf = in.backing_format ? strdup(in.backing_format) : NULL;
		}
		cur_fmt = cur_fmt_buf;
		in.full_backing_filename = NULL;
		free(full);
		blk_image_info_free(&in);
		blk_close(node);
		if (nseen < 64)
			seen[nseen++] = name;
		else
			free(name);
		name = next;
	}
done:
	if (chain && output == IMG_OUT_JSON && w.depth > 0)
		jw_arr_end(&w);
	for (int i = 0; i < nseen; i++)
		free(seen[i]);
	free(cur_fmt_buf);
	fclose(mem);
	img->out = real_out;
	if (ret == 0)
		fwrite(obuf, 1, olen, img->out);
	free(obuf);
	return ret;
}
