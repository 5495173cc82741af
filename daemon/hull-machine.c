/* hull-machine.c — one VM assembled in the worker process. */
#include "config.h"

#include "hull-machine.h"

#include "hull-debug-port.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-i8042.h"
#include "hull-power-port.h"
#include "hull-uart-16550.h"

/* The legacy COM ports: base port and ISA IRQ of ttyS0..ttyS3. */
static const struct
{
  guint16 base;
  guint irq;
} com_ports[HULL_DOMAIN_MAX_SERIALS] = { { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 } };

typedef struct
{
  HullMachine *machine;
  guint port;
} SerialSink;

struct _HullMachine
{
  const HullDomainDef *def;
  HullBackendLoader *loader;
  const HullBackendModule *backend;
  HullHypervisor *hypervisor;
  HullExecutionSpeed speed;
  int kernel_fd; /* -1: open the definition's path */
  int initrd_fd;
  HullProcessorTopology *topology;
  HullMemoryLayout *layout;
  HullGuestMemory *memory;
  HullIoBus *bus;
  HullHalt *halt;
  HullPartitionUnit *unit;
  GMainContext *context;
  HullMachineHaltFunc halt_func;
  gpointer halt_data;
  HullMachineConsoleFunc console_func;
  gpointer console_data;
  HullMachineInputSpaceFunc input_space_func;
  gpointer input_space_data;
  struct _Alive *alive;

  HullUart16550 *uarts[HULL_DOMAIN_MAX_SERIALS];
  SerialSink sinks[HULL_DOMAIN_MAX_SERIALS];
  HullI8042 *i8042;
  HullPowerPort *power_port;
  HullDebugPort *debug_port;
};

/* Halt deliveries queued on the context may outlive the machine; this small
 * refcounted box tells them whether it still exists. */
typedef struct _Alive
{
  gint ref_count;
  GMutex mutex;
  HullMachine *machine;
} Alive;

static Alive *
alive_new (HullMachine *machine)
{
  Alive *alive = g_new0 (Alive, 1);

  alive->ref_count = 1;
  g_mutex_init (&alive->mutex);
  alive->machine = machine;
  return alive;
}

static Alive *
alive_ref (Alive *alive)
{
  g_atomic_int_inc (&alive->ref_count);
  return alive;
}

static void
alive_unref (Alive *alive)
{
  if (!g_atomic_int_dec_and_test (&alive->ref_count))
    return;
  g_mutex_clear (&alive->mutex);
  g_free (alive);
}

static HullMachine *
alive_get (Alive *alive)
{
  HullMachine *machine;

  g_mutex_lock (&alive->mutex);
  machine = alive->machine;
  g_mutex_unlock (&alive->mutex);
  return machine;
}

static void
alive_kill (Alive *alive)
{
  g_mutex_lock (&alive->mutex);
  alive->machine = NULL;
  g_mutex_unlock (&alive->mutex);
}

typedef struct
{
  Alive *alive;
  HullHaltReason *reason;
} Delivery;

static gboolean
deliver_halt (gpointer data)
{
  Delivery *delivery = data;
  HullMachine *machine = alive_get (delivery->alive);

  if (machine != NULL && machine->halt_func != NULL)
    machine->halt_func (machine, delivery->reason, machine->halt_data);
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  alive_unref (delivery->alive);
  hull_halt_reason_free (delivery->reason);
  g_free (delivery);
}

/* On the partition unit's control thread: hand the halt to the owner's
 * context. */
static void
on_unit_halt (const HullHaltReason *reason, gpointer user_data)
{
  Alive *alive = user_data;
  HullMachine *machine = alive_get (alive);
  Delivery *delivery;
  GSource *source;

  if (machine == NULL)
    return;
  delivery = g_new0 (Delivery, 1);
  delivery->alive = alive_ref (alive);
  delivery->reason = hull_halt_reason_copy (reason);
  /* Not g_main_context_invoke(): when it can acquire the context it calls
   * back at once on this thread, possibly before the owner's loop runs. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_halt, delivery, delivery_free);
  g_source_set_static_name (source, "[hull] halt delivery");
  g_source_attach (source, machine->context);
  g_source_unref (source);
}

/* On a VP thread: a serial port's interrupt output rose. */
static void
raise_irq (gpointer data, guint irq)
{
  SerialSink *sink = data;
  HullPartition *partition = hull_partition_unit_get_partition (sink->machine->unit);

  if (partition->ops->ioapic_assert != NULL)
    partition->ops->ioapic_assert (partition, (guint8)irq);
}

static void
serial_output (gpointer data, const guint8 *bytes, gsize len)
{
  SerialSink *sink = data;
  HullMachine *machine = sink->machine;

  if (machine->console_func != NULL)
    machine->console_func (machine, sink->port, bytes, len, machine->console_data);
}

static void
serial_input_space (gpointer data)
{
  SerialSink *sink = data;
  HullMachine *machine = sink->machine;

  if (machine->input_space_func != NULL)
    machine->input_space_func (machine, sink->port, machine->input_space_data);
}

static gboolean
add_devices (HullMachine *machine, GError **error)
{
  const HullDomainDef *def = machine->def;

  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);
      guint port = serial->port;
      g_autofree char *name = g_strdup_printf ("ttyS%u", port);
      HullUart16550Config config = {
        .name = name,
        .base = com_ports[port].base,
        .irq = com_ports[port].irq,
        .output = serial_output,
        .raise_irq = raise_irq,
        .input_space = serial_input_space,
        .data = &machine->sinks[port],
      };

      machine->sinks[port] = (SerialSink){ machine, port };
      machine->uarts[port] = hull_uart_16550_new (machine->bus, &config, error);
      if (machine->uarts[port] == NULL)
        return FALSE;
    }
  machine->i8042 = hull_i8042_new (machine->bus, machine->halt, error);
  if (machine->i8042 == NULL)
    return FALSE;
  machine->power_port = hull_power_port_new (machine->bus, machine->halt, error);
  if (machine->power_port == NULL)
    return FALSE;
  machine->debug_port = hull_debug_port_new (machine->bus, NULL, error);
  return machine->debug_port != NULL;
}

static gboolean
load_kernel (HullMachine *machine, GError **error)
{
  const HullDomainDef *def = machine->def;
  HullBootSource source = {
    .kernel_path = def->kernel,
    .kernel_fd = machine->kernel_fd,
    .initrd_path = def->initrd,
    .initrd_fd = def->initrd != NULL ? machine->initrd_fd : -1,
    .cmdline = def->cmdline,
  };
  HullBootInfo info;

  if (def->kernel == NULL)
    return TRUE;
  return hull_x86_boot_load (machine->memory, machine->layout, &source, &info, error)
         && hull_partition_unit_set_initial_regs (machine->unit, &info.regs, error);
}

static gboolean
build (HullMachine *machine, int device_fd, HullExecutionSpeed speed, Alive *alive, GError **error)
{
  const HullDomainDef *def = machine->def;
  HullHypervisorConfig config = { .device_fd = device_fd };
  HullProtoPartitionConfig proto_config;
  HullPartitionConfig partition_config;
  HullProtoPartition *proto;
  HullPartition *partition;
  g_autofree HullProcessorBinder **binders = NULL;
  guint n_vps;

  machine->hypervisor = machine->backend->hypervisor->open (&config, error);
  machine->speed = speed;
  if (machine->hypervisor == NULL
      || (speed == HULL_EXECUTION_UNKNOWN
          && !machine->backend->hypervisor->probe (machine->hypervisor, &machine->speed, error)))
    {
      g_prefix_error (error, _ ("backend '%s' is not available: "), machine->backend->name);
      return FALSE;
    }

  machine->topology = hull_domain_def_build_topology (def, error);
  machine->layout
      = machine->topology != NULL ? hull_domain_def_build_memory_layout (def, error) : NULL;
  if (machine->layout == NULL)
    return FALSE;
  n_vps = hull_processor_topology_get_vp_count (machine->topology);

  proto_config = (HullProtoPartitionConfig){ .def = def, .topology = machine->topology };
  proto = machine->backend->hypervisor->new_proto_partition (machine->hypervisor, &proto_config,
                                                             error);
  if (proto == NULL)
    return FALSE;
  machine->memory = hull_guest_memory_new (machine->layout, error);
  if (machine->memory == NULL)
    {
      proto->ops->free (proto);
      return FALSE;
    }
  partition_config = (HullPartitionConfig){ .layout = machine->layout, .memory = machine->memory };
  partition = proto->ops->build (proto, &partition_config, &binders, error);
  if (partition == NULL)
    return FALSE;

  machine->bus = hull_io_bus_new ();
  machine->halt = hull_halt_new ();
  machine->unit = hull_partition_unit_new (partition, binders, n_vps, machine->halt,
                                           hull_io_bus_get_cpu_io (), machine->bus, on_unit_halt,
                                           alive, error);
  return machine->unit != NULL && add_devices (machine, error) && load_kernel (machine, error);
}

HullMachine *
hull_machine_new (const HullDomainDef *def, HullBackendLoader *loader, const char *backend,
                  int device_fd, GMainContext *context, GError **error)
{
  return hull_machine_new_probed (def, loader, backend, device_fd, HULL_EXECUTION_UNKNOWN, context,
                                  error);
}

HullMachine *
hull_machine_new_probed (const HullDomainDef *def, HullBackendLoader *loader, const char *backend,
                         int device_fd, HullExecutionSpeed speed, GMainContext *context,
                         GError **error)
{
  const HullMachineFiles files = {
    .device_fd = device_fd,
    .speed = speed,
    .kernel_fd = -1,
    .initrd_fd = -1,
  };

  return hull_machine_new_with_files (def, loader, backend, &files, context, error);
}

HullMachine *
hull_machine_new_with_files (const HullDomainDef *def, HullBackendLoader *loader,
                             const char *backend, const HullMachineFiles *files,
                             GMainContext *context, GError **error)
{
  g_autoptr (HullMachine) machine = NULL;

  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (loader != NULL, NULL);
  g_return_val_if_fail (files != NULL, NULL);

  machine = g_new0 (HullMachine, 1);
  machine->def = def;
  machine->loader = hull_backend_loader_ref (loader);
  machine->context
      = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  machine->alive = alive_new (machine);
  machine->kernel_fd = files->kernel_fd;
  machine->initrd_fd = files->initrd_fd;

  machine->backend = hull_backend_loader_find (
      loader, backend != NULL ? backend : hull_domain_type_to_string (def->type), error);
  if (machine->backend == NULL
      || !build (machine, files->device_fd, files->speed, machine->alive, error))
    {
      g_prefix_error (error, _ ("domain '%s': "), def->name);
      return NULL;
    }
  return g_steal_pointer (&machine);
}

void
hull_machine_free (HullMachine *machine)
{
  if (machine == NULL)
    return;
  /* No halt delivery reaches a freed machine. */
  alive_kill (machine->alive);
  /* The unit goes first: it joins the VP threads and destroys the partition,
   * which may still use memory and the bus until then. */
  hull_partition_unit_free (machine->unit);
  /* The unit's control thread, gone now, was the last to use it directly. */
  alive_unref (machine->alive);
  /* No VP runs any more: the devices can leave the bus. */
  for (guint i = 0; i < G_N_ELEMENTS (machine->uarts); i++)
    g_clear_pointer (&machine->uarts[i], hull_uart_16550_free);
  g_clear_pointer (&machine->i8042, hull_i8042_free);
  g_clear_pointer (&machine->power_port, hull_power_port_free);
  g_clear_pointer (&machine->debug_port, hull_debug_port_free);
  g_clear_pointer (&machine->halt, hull_halt_unref);
  g_clear_pointer (&machine->bus, hull_io_bus_unref);
  g_clear_pointer (&machine->memory, hull_guest_memory_unref);
  g_clear_pointer (&machine->layout, hull_memory_layout_free);
  g_clear_pointer (&machine->topology, hull_processor_topology_free);
  if (machine->hypervisor != NULL)
    machine->backend->hypervisor->close (machine->hypervisor);
  hull_backend_loader_unref (machine->loader);
  g_main_context_unref (machine->context);
  g_free (machine);
}

void
hull_machine_set_halt_func (HullMachine *machine, HullMachineHaltFunc func, gpointer user_data)
{
  machine->halt_func = func;
  machine->halt_data = user_data;
}

void
hull_machine_set_console_func (HullMachine *machine, HullMachineConsoleFunc func,
                               gpointer user_data)
{
  machine->console_func = func;
  machine->console_data = user_data;
}

void
hull_machine_set_input_space_func (HullMachine *machine, HullMachineInputSpaceFunc func,
                                   gpointer user_data)
{
  machine->input_space_func = func;
  machine->input_space_data = user_data;
}

gsize
hull_machine_push_console_input (HullMachine *machine, guint port, const guint8 *bytes, gsize len)
{
  g_return_val_if_fail (machine != NULL, 0);
  g_return_val_if_fail (port < G_N_ELEMENTS (machine->uarts) && machine->uarts[port] != NULL, 0);

  return hull_uart_16550_push_input (machine->uarts[port], bytes, len);
}

void
hull_machine_start (HullMachine *machine)
{
  hull_debug_port_set_start_time (machine->debug_port, g_get_monotonic_time ());
  hull_partition_unit_start (machine->unit);
}

gboolean
hull_machine_reboot (HullMachine *machine, GError **error)
{
  hull_partition_unit_stop (machine->unit);
  if (!hull_partition_unit_reset (machine->unit, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (machine->uarts); i++)
    if (machine->uarts[i] != NULL)
      hull_uart_16550_reset (machine->uarts[i]);
  hull_i8042_reset (machine->i8042);
  hull_power_port_reset (machine->power_port);
  hull_debug_port_reset (machine->debug_port);
  if (!load_kernel (machine, error))
    return FALSE;
  hull_machine_start (machine);
  return TRUE;
}

gint64
hull_machine_get_boot_time (HullMachine *machine)
{
  return hull_debug_port_get_boot_time (machine->debug_port);
}

const HullBackendModule *
hull_machine_get_backend (HullMachine *machine)
{
  return machine->backend;
}

HullExecutionSpeed
hull_machine_get_speed (HullMachine *machine)
{
  return machine->speed;
}

HullPartitionUnit *
hull_machine_get_unit (HullMachine *machine)
{
  return machine->unit;
}

HullIoBus *
hull_machine_get_io_bus (HullMachine *machine)
{
  return machine->bus;
}

HullGuestMemory *
hull_machine_get_memory (HullMachine *machine)
{
  return machine->memory;
}

HullHalt *
hull_machine_get_halt (HullMachine *machine)
{
  return machine->halt;
}

static void
inspect_unit (gpointer object, HullInspectRequest *request)
{
  hull_partition_unit_inspect (object, request);
}

static void
inspect_bus (gpointer object, HullInspectRequest *request)
{
  hull_io_bus_inspect (object, request);
}

static void
inspect_uart (gpointer object, HullInspectRequest *request)
{
  hull_uart_16550_inspect (object, request);
}

static void
inspect_i8042 (gpointer object, HullInspectRequest *request)
{
  hull_i8042_inspect (object, request);
}

static void
inspect_power_port (gpointer object, HullInspectRequest *request)
{
  hull_power_port_inspect (object, request);
}

static void
inspect_debug_port (gpointer object, HullInspectRequest *request)
{
  hull_debug_port_inspect (object, request);
}

static void
inspect_devices (gpointer object, HullInspectRequest *request)
{
  HullMachine *machine = object;

  for (guint i = 0; i < G_N_ELEMENTS (machine->uarts); i++)
    if (machine->uarts[i] != NULL)
      {
        char name[8];

        g_snprintf (name, sizeof name, "ttyS%u", i);
        hull_inspect_child (request, name, inspect_uart, machine->uarts[i]);
      }
  hull_inspect_child (request, "i8042", inspect_i8042, machine->i8042);
  hull_inspect_child (request, "power-port", inspect_power_port, machine->power_port);
  hull_inspect_child (request, "debug-port", inspect_debug_port, machine->debug_port);
}

static void
inspect_machine (gpointer object, HullInspectRequest *request)
{
  HullMachine *machine = object;

  hull_inspect_field_string (request, "domain", machine->def->name);
  hull_inspect_field_string (request, "backend", machine->backend->name);
  hull_inspect_child (request, "unit", inspect_unit, machine->unit);
  hull_inspect_child (request, "io-bus", inspect_bus, machine->bus);
  hull_inspect_child (request, "devices", inspect_devices, machine);
}

GVariant *
hull_machine_inspect (HullMachine *machine, const char *path, guint depth, gint64 timeout_us,
                      GError **error)
{
  return hull_inspect (path, depth, inspect_machine, machine, timeout_us, error);
}
