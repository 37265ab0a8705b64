#ifndef CPROTOBUF_H
#define CPROTOBUF_H
/* Umbrella header: the protobuf-c code generated from proto/ by scripts/gen-proto. */
#include <protobuf-c/protobuf-c.h>
#include "altinity_backup_v1_backup.pb-c.h"
#include "altinity_backup_v1_catalog.pb-c.h"
#include "altinity_backup_v1_operations.pb-c.h"
#include "altinity_identity_v1_identity.pb-c.h"
#include "grpc_health_v1_health.pb-c.h"
#include "grpc_reflection_v1_reflection.pb-c.h"
#include "grpc_reflection_v1alpha_reflection.pb-c.h"
#include "descriptor_set.h"
#endif
