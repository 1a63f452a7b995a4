/* lemu-img: qemu-img compatible disk image tool. The logic lives in src/img/. */
#include "img/img.h"

int main(int argc, char **argv)
{
	return img_main(argc, argv);
}
