/* hull-node-devices.h — hulld's host devices (docs/daemon.md "Host
 * devices", docs/dbus-api.md "NodeDevice").
 *
 * Watches udev, through GUdev, for the kvm device (subsystem misc) and the
 * block, net, usb (devtype usb_device) and pci devices. Each is published
 * as an org.hullvm.Hull1.NodeDevice object through the daemon's
 * ObjectManager, enumerated at start-up from sysfs (which works with no
 * udev daemon) and kept up to date on uevents (which need one), with the
 * Manager's NodeDeviceAdded and NodeDeviceRemoved signals. It also answers
 * Manager.ListNodeDevices.
 *
 * The kvm backend's availability follows the kvm device: when it goes away
 * the backend is marked unavailable (saying so), when it comes back the
 * backend is probed again, and its Backend object's Available, Reason and
 * Speed change with honest PropertiesChanged. The device is /dev/kvm;
 * HULL_TEST_KVM_DEVICE=PATH makes it PATH instead, for tests only (a file
 * the test creates and removes: /dev/kvm cannot be unplugged in a test).
 *
 * Everything it needs is handed to it at construction; it never calls back
 * into the daemon. Main-loop only.
 */
#pragma once

#include <gio/gio.h>

#include "hull-authority.h"
#include "hull-backend-loader.h"
#include "hull-dbus.h"

G_BEGIN_DECLS

/* The backend whose availability follows the kvm device. */
#define HULL_NODE_DEVICES_KVM_BACKEND "kvm"
/* The kvm device, unless HULL_TEST_KVM_DEVICE says otherwise. */
#define HULL_NODE_DEVICES_KVM_DEVICE "/dev/kvm"

#define HULL_TYPE_NODE_DEVICES (hull_node_devices_get_type ())
G_DECLARE_FINAL_TYPE (HullNodeDevices, hull_node_devices, HULL, NODE_DEVICES, GObject)

/**
 * hull_node_devices_new:
 * @object_manager: where the NodeDevice objects are exported (and the
 *   Backend objects are found)
 * @manager: the Manager: its ListNodeDevices is handled here, and its
 *   NodeDeviceAdded/NodeDeviceRemoved signals are emitted
 * @loader: the backends, probed again when the kvm device comes back
 * @authority: (nullable): who may call ListNodeDevices (a read action,
 *   hull-authority.h); %NULL lets everyone (for tests of this file alone)
 *
 * Enumerates and exports the devices, starts watching for uevents and for
 * the kvm device, and brings the kvm backend's availability in line with
 * the device (call it after the Backend objects are exported).
 *
 * Returns: (transfer full): the watcher; dropping it stops watching (the
 *   objects stay with @object_manager, which hulld drops at exit too)
 */
HullNodeDevices *hull_node_devices_new (GDBusObjectManagerServer *object_manager,
                                        HullDBusManager *manager, HullBackendLoader *loader,
                                        HullAuthority *authority);

G_END_DECLS
