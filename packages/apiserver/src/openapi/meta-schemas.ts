/**
 * The apimachinery schemas every group-version document references: ObjectMeta (so
 * `kubectl explain <kind>.metadata` works for every kind), ListMeta, Status, DeleteOptions,
 * Patch, WatchEvent and autoscaling/v1 Scale (the body of every `/scale` subresource).
 *
 * Field names, types and list/map markers follow the Kubernetes API; the descriptions are
 * this project's own short summaries.
 */
import { DEF, type GroupVersionKind } from './names.js';
import { refSchema, type JsonObject, type OpenApiFlavor } from './schema-object.js';

const str = (description: string): JsonObject => ({ description, type: 'string' });
const int64 = (description: string): JsonObject => ({ description, type: 'integer', format: 'int64' });
const int32 = (description: string): JsonObject => ({ description, type: 'integer', format: 'int32' });
const bool = (description: string): JsonObject => ({ description, type: 'boolean' });

export const API_VERSION_DESCRIPTION =
  'APIVersion names the versioned schema this object is written in, as "<group>/<version>" ' +
  '(or "v1" for the core group). The server converts recognized versions and rejects unknown ones. ' +
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is the CamelCase name of the REST resource type this object represents. The server may ' +
  'infer it from the endpoint a request is sent to. Cannot be updated. ' +
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const OBJECT_METADATA_DESCRIPTION =
  "Standard object's metadata. " +
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
export const LIST_METADATA_DESCRIPTION =
  "Standard list metadata. " +
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** apiVersion and kind, as every kind's schema carries them (TypeMeta). */
export function typeMetaProperties(): JsonObject {
  return { apiVersion: str(API_VERSION_DESCRIPTION), kind: str(KIND_DESCRIPTION) };
}

/**
 * The shared schemas by definition name. `groupVersions` are the group-versions the document
 * serves; DeleteOptions and WatchEvent carry one GVK per group-version, as kube publishes them.
 */
export function metaSchemas(flavor: OpenApiFlavor, groupVersions: Array<{ group: string; version: string }>): Record<string, JsonObject> {
  const ref = (name: string, description?: string) => refSchema(flavor, name, description);
  const gvks = (kind: string): GroupVersionKind[] => {
    const seen = new Set<string>();
    const out: GroupVersionKind[] = [];
    for (const gv of [{ group: '', version: 'v1' }, ...groupVersions]) {
      const key = `${gv.group}/${gv.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ group: gv.group, version: gv.version, kind });
    }
    return out;
  };

  return {
    [DEF.objectMeta]: {
      description:
        'ObjectMeta is the metadata every persisted resource has: its name, namespace, labels, ' +
        'annotations, owners, finalizers and the bookkeeping fields the server maintains.',
      type: 'object',
      properties: {
        annotations: {
          description:
            'Annotations is an unstructured key/value map for arbitrary metadata that tools and ' +
            'controllers store with the object. They are not queryable. ' +
            'More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations',
          type: 'object',
          additionalProperties: { type: 'string', default: '' },
        },
        creationTimestamp: ref(DEF.time, 'The time the server created this object, set by the system. Read-only. Null for lists.'),
        deletionGracePeriodSeconds: int64(
          'Seconds the object is given to terminate gracefully before it is removed. Set only when ' +
            'deletionTimestamp is set. Read-only.',
        ),
        deletionTimestamp: ref(
          DEF.time,
          'The time after which this object will be deleted, set by the server when a graceful deletion ' +
            'is requested. Read-only.',
        ),
        finalizers: {
          description:
            'Finalizers must be empty before the object is removed from the registry. Each entry names ' +
            'a component responsible for removing itself from the list.',
          type: 'array',
          items: { type: 'string', default: '' },
          'x-kubernetes-list-type': 'set',
          'x-kubernetes-patch-strategy': 'merge',
        },
        generateName: str(
          'An optional prefix the server uses to generate a unique name when name is not given. ' +
            'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#idempotency',
        ),
        generation: int64('A sequence number representing a specific generation of the desired state. Read-only.'),
        labels: {
          description:
            'Map of string keys and values used to organize and select objects. May match selectors ' +
            'of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels',
          type: 'object',
          additionalProperties: { type: 'string', default: '' },
        },
        managedFields: {
          description:
            'Which field manager manages which fields, recorded by server-side apply. Mostly for ' +
            'internal housekeeping; users do not normally set or read it.',
          type: 'array',
          items: ref(DEF.managedFieldsEntry),
          'x-kubernetes-list-type': 'atomic',
        },
        name: str(
          'Name must be unique within a namespace. Required when creating resources, although some ' +
            'resources may allow a client to request a generated name. Cannot be updated. ' +
            'More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
        ),
        namespace: str(
          'Namespace defines the space within which each name must be unique. Empty for ' +
            'cluster-scoped resources. Cannot be updated. ' +
            'More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces',
        ),
        ownerReferences: {
          description:
            'Objects this object depends on. When every owner is deleted, this object is garbage ' +
            'collected. At most one owner may be a controller.',
          type: 'array',
          items: ref(DEF.ownerReference),
          'x-kubernetes-list-map-keys': ['uid'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        resourceVersion: str(
          'An opaque value that changes whenever the object changes, used for optimistic concurrency, ' +
            'change detection and watches. Clients must not interpret it. Read-only. ' +
            'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency',
        ),
        selfLink: str('Deprecated: not set by the server.'),
        uid: str(
          'UID is unique in time and space for this object, generated by the server on successful ' +
            'creation. Cannot be updated. Read-only. ' +
            'More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids',
        ),
      },
    },
    [DEF.listMeta]: {
      description: 'ListMeta describes metadata that synthetic resources (lists) carry.',
      type: 'object',
      properties: {
        continue: str(
          'Set when more results are available: pass it as the continue parameter to get the next ' +
            'page. Its contents are opaque.',
        ),
        remainingItemCount: int64('The number of items after this page, when the server can count them. May be an estimate.'),
        resourceVersion: str('The version of the collection this list was read at. Read-only.'),
        selfLink: str('Deprecated: not set by the server.'),
      },
    },
    [DEF.time]: {
      description: 'A timestamp in RFC 3339 form, serialized with second precision.',
      type: 'string',
      format: 'date-time',
    },
    [DEF.ownerReference]: {
      description: 'A reference to an owning object in the same namespace (or a cluster-scoped owner).',
      type: 'object',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: str('API version of the referent.'),
        blockOwnerDeletion: bool(
          'If true and the owner has the "foregroundDeletion" finalizer, the owner cannot be deleted ' +
            'from the key-value store until this reference is removed.',
        ),
        controller: bool('If true, this reference points to the managing controller.'),
        kind: str('Kind of the referent.'),
        name: str('Name of the referent.'),
        uid: str('UID of the referent.'),
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [DEF.managedFieldsEntry]: {
      description: 'The set of fields one field manager manages, and the operation it used.',
      type: 'object',
      properties: {
        apiVersion: str('The version of the resource the fieldset applies to.'),
        fieldsType: str('The format of fieldsV1; the only value is "FieldsV1".'),
        fieldsV1: ref(DEF.fieldsV1, 'The set of fields, in the FieldsV1 format.'),
        manager: str('The name of the workflow managing these fields.'),
        operation: str('The operation that created this entry: "Apply" or "Update".'),
        subresource: str('The subresource used to update the object, empty for the main resource.'),
        time: ref(DEF.time, 'When the fields were last changed by this manager.'),
      },
    },
    [DEF.fieldsV1]: {
      description: 'A set of fields as a trie, encoded as a JSON object.',
      type: 'object',
    },
    [DEF.status]: {
      description: 'Status is the result of an operation that does not return an object, and the body of every error.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        code: int32('The HTTP status code of this status, 0 if not set.'),
        details: ref(DEF.statusDetails, 'Extended data about the reason, whose form depends on the reason.'),
        kind: str(KIND_DESCRIPTION),
        message: str('A human-readable description of the status of this operation.'),
        metadata: ref(DEF.listMeta, LIST_METADATA_DESCRIPTION),
        reason: str(
          'A machine-readable description of why the operation is in "Failure" status, for example ' +
            'NotFound, AlreadyExists, Conflict or Invalid.',
        ),
        status: str('"Success" or "Failure".'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [DEF.statusDetails]: {
      description: 'StatusDetails names the object a Status is about and lists the causes of a failure.',
      type: 'object',
      properties: {
        causes: {
          description: 'The individual causes of the error, for example one per invalid field.',
          type: 'array',
          items: ref(DEF.statusCause),
          'x-kubernetes-list-type': 'atomic',
        },
        group: str('The group of the resource the status is about.'),
        kind: str('The kind of the resource the status is about.'),
        name: str('The name of the object the status is about, when there is one.'),
        retryAfterSeconds: int32('If set, the number of seconds a client should wait before retrying.'),
        uid: str('The UID of the object, when there is one.'),
      },
    },
    [DEF.statusCause]: {
      description: 'One cause of an error.',
      type: 'object',
      properties: {
        field: str('The field of the object that caused this error, as a JSON path, for example "spec.replicas".'),
        message: str('A human-readable description of the cause.'),
        reason: str('A machine-readable description of the cause, for example FieldValueRequired.'),
      },
    },
    [DEF.deleteOptions]: {
      description: 'DeleteOptions may be sent with a DELETE request.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        dryRun: {
          description: 'When present, changes are not persisted. The only valid value is "All".',
          type: 'array',
          items: { type: 'string', default: '' },
          'x-kubernetes-list-type': 'atomic',
        },
        gracePeriodSeconds: int64('Seconds before the object should be deleted; 0 deletes immediately.'),
        ignoreStoreReadErrorWithClusterBreakingPotential: bool(
          'Deletes an object that cannot be read from storage (corrupt or undecodable). Unsafe; needs ' +
            'a dedicated permission.',
        ),
        kind: str(KIND_DESCRIPTION),
        orphanDependents: bool('Deprecated: use propagationPolicy. If true, dependents are orphaned.'),
        preconditions: ref(DEF.preconditions, 'Must be fulfilled before a deletion is carried out.'),
        propagationPolicy: str('Whether and how garbage collection is done: "Orphan", "Background" or "Foreground".'),
      },
      'x-kubernetes-group-version-kind': gvks('DeleteOptions'),
    },
    [DEF.preconditions]: {
      description: 'Conditions that must hold before an operation is carried out.',
      type: 'object',
      properties: {
        resourceVersion: str('The target resourceVersion.'),
        uid: str('The target UID.'),
      },
    },
    [DEF.patch]: {
      description: 'The body of a PATCH request; its form depends on the Content-Type.',
      type: 'object',
    },
    [DEF.watchEvent]: {
      description: 'One event of a watch stream.',
      type: 'object',
      required: ['type', 'object'],
      properties: {
        object: ref(DEF.rawExtension, 'The object: for ADDED and MODIFIED its new state, for DELETED its last state, for ERROR a Status, for BOOKMARK an object carrying only resourceVersion.'),
        type: str('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
      },
      'x-kubernetes-group-version-kind': gvks('WatchEvent'),
    },
    [DEF.rawExtension]: {
      description: 'An embedded object of any kind, in its JSON form.',
      type: 'object',
    },
    [DEF.scale]: {
      description: 'Scale is the body of the scale subresource.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        kind: str(KIND_DESCRIPTION),
        metadata: ref(DEF.objectMeta, OBJECT_METADATA_DESCRIPTION),
        spec: ref(DEF.scaleSpec, 'The desired scale of the object.'),
        status: ref(DEF.scaleStatus, 'The current status of the scale. Read-only.'),
      },
      'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
    },
    [DEF.scaleSpec]: {
      description: 'The desired attributes of a scale subresource.',
      type: 'object',
      properties: { replicas: int32('The desired number of instances of the scaled object.') },
    },
    [DEF.scaleStatus]: {
      description: 'The observed attributes of a scale subresource.',
      type: 'object',
      required: ['replicas'],
      properties: {
        replicas: int32('The actual number of observed instances of the scaled object.'),
        selector: str('The label query over pods that should match the replicas count, in label-selector string form.'),
      },
    },
  };
}
