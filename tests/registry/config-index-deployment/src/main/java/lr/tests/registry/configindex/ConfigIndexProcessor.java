/*
 * The one build step of the config-index extension's deployment half, which
 * Maven Central does not serve (see ../../../../../../../pom.xml).
 *
 * Apicurio Registry marks the settings it lets an admin change at run time
 * with @Dynamic on a Supplier<T> field that also carries @ConfigProperty. At
 * build time this step collects those fields from the bean archive and gives
 * their definitions to the runtime half's recorder; the recorder's value
 * becomes the DynamicConfigPropertyList bean the registry injects. Without it
 * the build fails with an unsatisfied dependency.
 */
package lr.tests.registry.configindex;

import apicurio.common.app.components.config.index.DynamicPropertiesInfoRecorder;
import io.apicurio.common.apps.config.Dynamic;
import io.apicurio.common.apps.config.DynamicConfigPropertyDef;
import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import io.quarkus.arc.deployment.BeanDiscoveryFinishedBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.arc.processor.InjectionPointInfo;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Type;

public class ConfigIndexProcessor {
    private static final DotName CONFIG_PROPERTY = DotName.createSimple(ConfigProperty.class.getName());
    private static final DotName DYNAMIC = DotName.createSimple(Dynamic.class.getName());

    @BuildStep
    FeatureBuildItem feature() {
        return new FeatureBuildItem("apicurio-config-index");
    }

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    void dynamicProperties(DynamicPropertiesInfoRecorder recorder, BeanDiscoveryFinishedBuildItem beans,
            BuildProducer<SyntheticBeanBuildItem> synthetic) throws ClassNotFoundException {
        List<DynamicConfigPropertyDef> defs = new ArrayList<>();
        for (InjectionPointInfo point : beans.getInjectionPoints()) {
            AnnotationInstance dynamic = dynamicAnnotation(point);
            if (dynamic != null) {
                defs.add(definition(point, dynamic));
            }
        }
        synthetic.produce(SyntheticBeanBuildItem.configure(DynamicConfigPropertyList.class)
                .runtimeValue(recorder.initializePropertiesInfo(defs))
                .unremovable()
                .setRuntimeInit()
                .done());
    }

    // The @Dynamic annotation of a @ConfigProperty field, or null for any other injection point.
    private static AnnotationInstance dynamicAnnotation(InjectionPointInfo point) {
        if (!point.isField() || point.getRequiredQualifier(CONFIG_PROPERTY) == null) {
            return null;
        }
        return point.getTarget().asField().annotation(DYNAMIC);
    }

    private static DynamicConfigPropertyDef definition(InjectionPointInfo point, AnnotationInstance dynamic)
            throws ClassNotFoundException {
        AnnotationInstance property = point.getRequiredQualifier(CONFIG_PROPERTY);
        String name = property.value("name").asString();
        // The field is a Supplier<T>: T is the property's type.
        Type type = point.getRequiredType();
        if (type.kind() != Type.Kind.PARAMETERIZED_TYPE) {
            throw new IllegalStateException("@Dynamic property " + name + " is not a Supplier<T>");
        }
        Class<?> valueType = Class.forName(type.asParameterizedType().arguments().get(0).name().toString());
        AnnotationValue defaultValue = property.value("defaultValue");
        if (defaultValue == null) {
            throw new IllegalStateException("@Dynamic property " + name + " has no default value");
        }
        DynamicConfigPropertyDef def = new DynamicConfigPropertyDef(name, valueType, defaultValue.asString());
        AnnotationValue v = dynamic.value("label");
        if (v != null) {
            def.setLabel(v.asString());
        }
        v = dynamic.value("description");
        if (v != null) {
            def.setDescription(v.asString());
        }
        v = dynamic.value("requires");
        if (v != null) {
            def.setRequires(v.asStringArray());
        }
        return def;
    }
}
