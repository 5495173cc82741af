/* hull-capabilities.h — Manager.GetCapabilities: what this host and this
 * build of Hull can run (the keys are listed in docs/dbus-api.md). */
#pragma once

#include <gio/gio.h>

#include "hull-backend-loader.h"

G_BEGIN_DECLS

/* "hardware", "emulated" or "unknown", the Backend.Speed values. */
const char *hull_capabilities_speed_to_string (HullExecutionSpeed speed);

/**
 * hull_capabilities_build:
 * @backends: (element-type HullBackendInfo): the backends, as listed by
 *   hull_backend_loader_list()
 *
 * Returns: (transfer floating): the a{sv} of Manager.GetCapabilities:
 *   "arch" s, "hull-version" s, "backends" aa{sv} (name s, path s,
 *   available b, reason s, speed s), "min-memory" t, "max-memory" t,
 *   "max-vcpus" u, "default-memory-layout" aa{sv} (kind s: "ram" or "mmio",
 *   start t, size t; in address order)
 */
GVariant *hull_capabilities_build (GPtrArray *backends);

G_END_DECLS
