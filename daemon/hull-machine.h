/* hull-machine.h — one VM assembled in the worker process.
 *
 * A machine ties a domain definition to a backend: it opens the hypervisor,
 * builds the partition over guest memory laid out from the definition, puts
 * the VPs under a partition unit, gives them the I/O bus with the legacy
 * devices (a 16550 per serial port, the i8042, the power-off and debug
 * ports; docs/devices.md) and loads the kernel the definition names
 * (docs/x86-boot.md). Halts reach the owner on its GMainContext.
 */
#pragma once

#include <glib.h>

#include "hull-backend-loader.h"
#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-guest-memory.h"
#include "hull-halt.h"
#include "hull-io-bus.h"
#include "hull-partition-unit.h"
#include "hull-x86-boot.h"

G_BEGIN_DECLS

typedef struct _HullMachine HullMachine;

/* Guest serial output of serial port @port (0..3); called on VP threads. */
typedef void (*HullMachineConsoleFunc) (HullMachine *machine, guint port, const guint8 *bytes,
                                        gsize len, gpointer user_data);

/* Serial port @port's input queue has room again after
 * hull_machine_push_console_input() took less than it was given; called
 * once per refusal, on the VP thread whose read made room (or the thread
 * that reset the machine), with no lock held. */
typedef void (*HullMachineInputSpaceFunc) (HullMachine *machine, guint port, gpointer user_data);

/* Called on the machine's GMainContext; @reason is valid during the call. */
typedef void (*HullMachineHaltFunc) (HullMachine *machine, const HullHaltReason *reason,
                                     gpointer user_data);

/**
 * hull_machine_new:
 * @def: the domain (copied by reference: must outlive the machine)
 * @loader: where backends come from
 * @backend: (nullable): the backend's name; %NULL takes the domain's type
 * @device_fd: an open hypervisor device to use, or -1
 * @context: (nullable): where halt callbacks run; %NULL: the thread default
 * @error: what failed, with the backend's reason
 *
 * Builds the VM, stopped.
 *
 * Returns: (transfer full): the machine, or %NULL.
 */
HullMachine *hull_machine_new (const HullDomainDef *def, HullBackendLoader *loader,
                               const char *backend, int device_fd, GMainContext *context,
                               GError **error);
/**
 * hull_machine_new_probed:
 * @speed: how the backend runs guest code, as a probe of it reported
 *   moments ago; %HULL_EXECUTION_UNKNOWN probes again
 *
 * Like hull_machine_new(), but trusts @speed instead of probing: hulld
 * probes each backend once at start-up and tells its workers, and the
 * probe runs guest code (about 10 ms when KVM is emulated). A backend that
 * stopped working since still fails, when the partition is built.
 */
HullMachine *hull_machine_new_probed (const HullDomainDef *def, HullBackendLoader *loader,
                                      const char *backend, int device_fd, HullExecutionSpeed speed,
                                      GMainContext *context, GError **error);

/**
 * HullMachineFiles:
 * @device_fd: an open hypervisor device to use (hulld's /dev/kvm), or -1
 * @speed: as for hull_machine_new_probed()
 * @kernel_fd: the definition's kernel, already open, or -1 to open its path
 * @initrd_fd: its initrd, already open, or -1 to open its path
 *
 * What the machine is given instead of opening it itself. None of the fds
 * is closed by the machine: they must stay open while it exists (a reboot
 * reads the kernel and initrd again, with pread(), at offset 0).
 */
typedef struct
{
  int device_fd;
  HullExecutionSpeed speed;
  int kernel_fd;
  int initrd_fd;
} HullMachineFiles;

/* Like hull_machine_new_probed(), with the files in @files. */
HullMachine *hull_machine_new_with_files (const HullDomainDef *def, HullBackendLoader *loader,
                                          const char *backend, const HullMachineFiles *files,
                                          GMainContext *context, GError **error);
void hull_machine_free (HullMachine *machine);

void hull_machine_set_halt_func (HullMachine *machine, HullMachineHaltFunc func,
                                 gpointer user_data);

/* Set before starting the machine. */
void hull_machine_set_console_func (HullMachine *machine, HullMachineConsoleFunc func,
                                    gpointer user_data);

/* Set before starting the machine. */
void hull_machine_set_input_space_func (HullMachine *machine, HullMachineInputSpaceFunc func,
                                        gpointer user_data);

/**
 * hull_machine_push_console_input:
 * @machine: a machine
 * @port: a serial port the domain has (0..3)
 * @bytes: input for the guest
 * @len: how many bytes
 *
 * Sends @bytes to the guest on serial port @port's line [any thread]: the
 * UART's receive FIFO and input queue take what fits.
 *
 * Returns: how many bytes were taken, from the start of @bytes; when fewer
 *   than @len, the input space callback says when to try again.
 */
gsize hull_machine_push_console_input (HullMachine *machine, guint port, const guint8 *bytes,
                                       gsize len);

/* Starts the VPs and the boot timer's clock. */
void hull_machine_start (HullMachine *machine);

/**
 * hull_machine_reboot:
 * @machine: a machine
 * @error: why the partition could not be reset or the kernel not reloaded
 *
 * Stops the VPs, resets the partition, the VPs and the devices, loads the
 * kernel again and starts: what on_reboot='restart' does.
 */
gboolean hull_machine_reboot (HullMachine *machine, GError **error);

/* Microseconds from hull_machine_start() to the guest's boot-timer write, or
 * -1 if it has not written it. */
gint64 hull_machine_get_boot_time (HullMachine *machine);

const HullBackendModule *hull_machine_get_backend (HullMachine *machine);
HullExecutionSpeed hull_machine_get_speed (HullMachine *machine);
HullPartitionUnit *hull_machine_get_unit (HullMachine *machine);
HullIoBus *hull_machine_get_io_bus (HullMachine *machine);
HullGuestMemory *hull_machine_get_memory (HullMachine *machine);
HullHalt *hull_machine_get_halt (HullMachine *machine);

/* The machine's inspect tree: "unit" (partition unit, VPs) and "io-bus". */
GVariant *hull_machine_inspect (HullMachine *machine, const char *path, guint depth,
                                gint64 timeout_us, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullMachine, hull_machine_free)

G_END_DECLS
