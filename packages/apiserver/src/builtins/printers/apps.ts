/**
 * Table printers of apps/v1: Deployment, StatefulSet, ReplicaSet, DaemonSet, with upstream's
 * columns (pkg/printers/internalversion). spec.replicas is read with its apps/v1 default of 1,
 * which the write path sets on create; a stored object always carries it.
 */
import type { TablePrinter } from '../../resource-info.js';
import {
  ageColumn,
  ageOf,
  column,
  containerCells,
  formatLabelSelector,
  formatLabels,
  int,
  labelSelectorString,
  nameColumn,
  nameOf,
  templateDocsColumns,
  wide,
} from './common.js';
import { daemonSetDocs, deploymentDocs, podDocs, replicaSetDocs, statefulSetDocs } from './column-docs.js';

const desiredReplicas = (obj: any): number => (typeof obj?.spec?.replicas === 'number' ? int(obj.spec.replicas) : 1);

export const deploymentPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', deploymentDocs.ready),
    column('Up-to-date', 'string', deploymentDocs.updatedReplicas),
    column('Available', 'string', deploymentDocs.availableReplicas),
    ageColumn(),
    ...templateDocsColumns(),
    wide(column('Selector', 'string', deploymentDocs.selector)),
  ],
  cells(d, now) {
    const [containers, images] = containerCells(d?.spec?.template?.spec?.containers);
    // Deployment prints the selector's String() ("" when it has no requirements), not FormatLabelSelector.
    const selector = labelSelectorString(d?.spec?.selector) ?? '<invalid>';
    return [
      nameOf(d),
      `${int(d?.status?.readyReplicas)}/${desiredReplicas(d)}`,
      int(d?.status?.updatedReplicas),
      int(d?.status?.availableReplicas),
      ageOf(d, now),
      containers,
      images,
      selector,
    ];
  },
};

export const statefulSetPrinter: TablePrinter = {
  columns: [nameColumn(), column('Ready', 'string', statefulSetDocs.ready), ageColumn(), ...templateDocsColumns()],
  cells(s, now) {
    const [containers, images] = containerCells(s?.spec?.template?.spec?.containers);
    return [nameOf(s), `${int(s?.status?.readyReplicas)}/${desiredReplicas(s)}`, ageOf(s, now), containers, images];
  },
};

export const replicaSetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', replicaSetDocs.specReplicas),
    column('Current', 'integer', replicaSetDocs.statusReplicas),
    column('Ready', 'integer', replicaSetDocs.readyReplicas),
    ageColumn(),
    ...templateDocsColumns(),
    wide(column('Selector', 'string', replicaSetDocs.selector)),
  ],
  cells(rs, now) {
    const [containers, images] = containerCells(rs?.spec?.template?.spec?.containers);
    return [
      nameOf(rs),
      desiredReplicas(rs),
      int(rs?.status?.replicas),
      int(rs?.status?.readyReplicas),
      ageOf(rs, now),
      containers,
      images,
      formatLabelSelector(rs?.spec?.selector),
    ];
  },
};

export const daemonSetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', daemonSetDocs.desiredNumberScheduled),
    column('Current', 'integer', daemonSetDocs.currentNumberScheduled),
    column('Ready', 'integer', daemonSetDocs.numberReady),
    column('Up-to-date', 'integer', daemonSetDocs.updatedNumberScheduled),
    column('Available', 'integer', daemonSetDocs.numberAvailable),
    column('Node Selector', 'string', podDocs.nodeSelector),
    ageColumn(),
    ...templateDocsColumns(),
    wide(column('Selector', 'string', daemonSetDocs.selector)),
  ],
  cells(ds, now) {
    const st = ds?.status ?? {};
    const [containers, images] = containerCells(ds?.spec?.template?.spec?.containers);
    return [
      nameOf(ds),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(ds?.spec?.template?.spec?.nodeSelector),
      ageOf(ds, now),
      containers,
      images,
      formatLabelSelector(ds?.spec?.selector),
    ];
  },
};
