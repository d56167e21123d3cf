/**
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * client-go's typed clients — and so kubectl's imperative commands — send without falling back
 * to JSON. Bodies become the JSON object kube-apiserver would have read; responses stay JSON.
 *
 * ```ts
 * import { KUBERNETES_PROTOBUF_CONTENT_TYPE, decodeKubernetesProtobuf } from './protobuf/index.js';
 * if (contentType === KUBERNETES_PROTOBUF_CONTENT_TYPE) obj = decodeKubernetesProtobuf(body, { apiVersion: 'v1', kind: 'ConfigMap' });
 * ```
 */
export { KUBERNETES_PROTOBUF_CONTENT_TYPE, decodeKubernetesProtobuf, protobufKinds } from './decode.js';
export { ProtobufDecodeError } from './errors.js';
