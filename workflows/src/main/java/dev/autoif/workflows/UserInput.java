package dev.autoif.workflows;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a record a user writes by hand (a workflow's input JSON). {@link WireFormat#dataConverter()} reads such a
 * payload strictly — an unknown or mistyped field anywhere inside it fails at once, naming the field — and every other
 * payload (what workflows and activities exchange) tolerantly, so that a worker of a newer release that adds a field
 * does not break the workflows of an older one during a rolling deploy.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface UserInput {}
