/** riverwatch's deployment files: what `test/deploy` checks and `npm run k8s:render` renders. */
export const K8S_KUSTOMIZATIONS: Record<string, string> = {
  base: 'k8s/base',
  cpu: 'k8s/overlays/cpu',
  gpu: 'k8s/overlays/gpu',
  monitoring: 'k8s/monitoring',
};

export const COMPOSE_FILE = 'docker-compose.yml';

export const DOCKERFILES = ['infra/Dockerfile', 'infra/Dockerfile.gpu'];
