/**
 * The one place the DI container library is loaded. Core and every plugin import inversify from
 * here, so a node process holds exactly one copy of inversify and of the reflect-metadata registry
 * (two copies would silently make `@injectable()` metadata invisible to the container).
 */
import 'reflect-metadata';

export {
  Container,
  ContainerModule,
  inject,
  injectable,
  optional,
  multiInject,
  type ContainerModuleLoadOptions,
} from 'inversify';
