/* hull-machine.c — one VM assembled in the worker process. */
#include "config.h"

#include "hull-machine.h"

#include "hull-error.h"
#include "hull-i18n.h"

struct _HullMachine
{
  const HullDomainDef *def;
  HullBackendLoader *loader;
  const HullBackendModule *backend;
  HullHypervisor *hypervisor;
  HullExecutionSpeed speed;
  HullProcessorTopology *topology;
  HullMemoryLayout *layout;
  HullGuestMemory *memory;
  HullIoBus *bus;
  HullHalt *halt;
  HullPartitionUnit *unit;
  GMainContext *context;
  HullMachineHaltFunc halt_func;
  gpointer halt_data;
  struct _Alive *alive;
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

static gboolean
build (HullMachine *machine, int device_fd, Alive *alive, GError **error)
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
  if (machine->hypervisor == NULL
      || !machine->backend->hypervisor->probe (machine->hypervisor, &machine->speed, error))
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
  return machine->unit != NULL;
}

HullMachine *
hull_machine_new (const HullDomainDef *def, HullBackendLoader *loader, const char *backend,
                  int device_fd, GMainContext *context, GError **error)
{
  g_autoptr (HullMachine) machine = NULL;

  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (loader != NULL, NULL);

  machine = g_new0 (HullMachine, 1);
  machine->def = def;
  machine->loader = hull_backend_loader_ref (loader);
  machine->context
      = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  machine->alive = alive_new (machine);

  machine->backend = hull_backend_loader_find (
      loader, backend != NULL ? backend : hull_domain_type_to_string (def->type), error);
  if (machine->backend == NULL || !build (machine, device_fd, machine->alive, error))
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
inspect_machine (gpointer object, HullInspectRequest *request)
{
  HullMachine *machine = object;

  hull_inspect_field_string (request, "domain", machine->def->name);
  hull_inspect_field_string (request, "backend", machine->backend->name);
  hull_inspect_child (request, "unit", inspect_unit, machine->unit);
  hull_inspect_child (request, "io-bus", inspect_bus, machine->bus);
}

GVariant *
hull_machine_inspect (HullMachine *machine, const char *path, guint depth, gint64 timeout_us,
                      GError **error)
{
  return hull_inspect (path, depth, inspect_machine, machine, timeout_us, error);
}
