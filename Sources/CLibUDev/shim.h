#ifndef PICOCTL_CLIBUDEV_SHIM_H
#define PICOCTL_CLIBUDEV_SHIM_H
#include <libudev.h>
#endif
