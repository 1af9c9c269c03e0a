#ifndef PICOCTL_CLIBUSB_SHIM_H
#define PICOCTL_CLIBUSB_SHIM_H
#include <libusb.h>
#endif
